import Foundation

/// `--json` documents: pretty, sorted keys, ISO-8601 dates, and scrubbed like every other output.
enum JSONOutput {
    static func render(_ object: [String: Any]) -> String {
        Redactor.scrub(JSONLine.encodePretty(object))
    }

    static func date(_ date: Date?) -> Any {
        date.map(Timestamp.format) ?? NSNull()
    }

    static func optional(_ value: (any Sendable)?) -> Any {
        value ?? NSNull()
    }
}
