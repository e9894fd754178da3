import Foundation

/// Renders a rotation's name template into a token name that is unique among the org's live
/// tokens and at most 100 characters long (SPEC §4).
public enum TokenNamer {
    public static let maxLength = 100

    public static func render(_ rotation: Rotation, serial: Int, date: Date, taken: Set<String>) -> String {
        let values = [
            "id": rotation.id,
            "purpose": rotation.purpose,
            "project": rotation.project?.slug ?? "all-projects",
            "environment": rotation.environment?.slug ?? "all-environments",
            "scope": rotation.scope.rawValue,
            "permission": rotation.permission.rawValue,
            "date": Timestamp.day(date),
            "serial": String(serial),
        ]
        var name = rotation.nameTemplate
        for (key, value) in values {
            name = name.replacingOccurrences(of: "{\(key)}", with: value)
        }
        name = name.trimmingCharacters(in: .whitespaces)
        var candidate = String(name.prefix(maxLength))
        var counter = 2
        while taken.contains(candidate) {
            let suffix = " #\(counter)"
            candidate = String(name.prefix(maxLength - suffix.count)) + suffix
            counter += 1
        }
        return candidate
    }
}
