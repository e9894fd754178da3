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
        let name = substitute(rotation.nameTemplate, values).trimmingCharacters(in: .whitespaces)
        var candidate = String(name.prefix(maxLength))
        var counter = 2
        while taken.contains(candidate) {
            let suffix = " #\(counter)"
            candidate = String(name.prefix(maxLength - suffix.count)) + suffix
            counter += 1
        }
        return candidate
    }

    /// `{key}` replaced by its value in one pass; anything else, unknown `{words}` included, is
    /// kept as written (the parser has already refused unknown placeholders).
    static func substitute(_ template: String, _ values: [String: String]) -> String {
        var result = ""
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}"), let value = values[String(rest[rest.index(after: open)..<close])] else {
                result.append("{")
                rest = rest[rest.index(after: open)...]
                continue
            }
            result += value
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}
