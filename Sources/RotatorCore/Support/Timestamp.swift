import Foundation

/// ISO-8601 timestamps as the APIs and the state use them (UTC, `Z`, optional fractional seconds).
public enum Timestamp {
    public static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    public static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        if let date = try? fractional.parse(text) { return date }
        // A bare date (`2026-12-31`), as a person writes an expiry in the plan: midnight UTC.
        let dateOnly = Date.ISO8601FormatStyle().year().month().day()
        return try? dateOnly.parse(text)
    }

    /// `YYYY-MM-DD` in UTC, for the `{date}` name placeholder.
    public static func day(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle().year().month().day())
    }
}
