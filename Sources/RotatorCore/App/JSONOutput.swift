import Foundation

/// `--json` documents: pretty, sorted keys, ISO-8601 dates, and scrubbed like every other output.
enum JSONOutput {
    static func render(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) else {
            return #"{"error":"the report could not be encoded"}"#
        }
        return Redactor.scrub(String(decoding: data, as: UTF8.self))
    }

    static func date(_ date: Date?) -> Any {
        date.map(Timestamp.format) ?? NSNull()
    }

    static func optional(_ value: (any Sendable)?) -> Any {
        value ?? NSNull()
    }
}
