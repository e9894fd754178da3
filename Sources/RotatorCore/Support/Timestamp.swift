import Foundation

/// Timestamps in UTC as the APIs, the logs, the audit trail and the state write them.
///
/// Formatting is done by hand from `gmtime_r`: a timestamp is written for every log line, audit
/// record and state row, and Foundation's formatters cost tens of microseconds each (they were a
/// visible share of a run's CPU in the benchmark). Parsing, rarer, stays with Foundation.
public enum Timestamp {
    /// `2026-11-29T13:48:21Z`: ISO 8601 / RFC 3339, whole seconds.
    public static func format(_ date: Date) -> String {
        render(date, dateTimeSeparator: "T", fractional: false, zone: true)
    }

    /// `2026-11-29T13:48:21.123Z`: with milliseconds (audit records).
    public static func formatFractional(_ date: Date) -> String {
        render(date, dateTimeSeparator: "T", fractional: true, zone: true)
    }

    /// `2026-11-29 13:48:21.123`: GRDB's storage format for dates, which its row decoding reads.
    /// Rounded down to the millisecond, never up: a stored instant is never later than the real
    /// one, so "revocable after T, and T is now" still holds once T is read back.
    public static func database(_ date: Date) -> String {
        render(date, dateTimeSeparator: " ", fractional: true, zone: false)
    }

    /// `13:48:21`: the time of day, for text log lines.
    public static func timeOfDay(_ date: Date) -> String {
        let (parts, _) = components(date)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8)
        appendTime(parts, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `YYYY-MM-DD` in UTC, for the `{date}` name placeholder.
    public static func day(_ date: Date) -> String {
        let (parts, _) = components(date)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(10)
        appendDay(parts, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        if let date = try? fractional.parse(text) { return date }
        // A bare date (`2026-12-31`), as a person writes an expiry in the plan: midnight UTC.
        let dateOnly = Date.ISO8601FormatStyle().year().month().day()
        return try? dateOnly.parse(text)
    }

    private static func render(_ date: Date, dateTimeSeparator: Character, fractional: Bool, zone: Bool) -> String {
        let (parts, milliseconds) = components(date)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        appendDay(parts, to: &bytes)
        bytes.append(dateTimeSeparator.asciiValue ?? 0x54)
        appendTime(parts, to: &bytes)
        if fractional {
            bytes.append(0x2E)
            append(milliseconds, digits: 3, to: &bytes)
        }
        if zone { bytes.append(0x5A) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The broken-down UTC time and the milliseconds, rounded down (as Foundation's formatters do).
    private static func components(_ date: Date) -> (tm, Int) {
        let interval = date.timeIntervalSince1970
        let seconds = interval.rounded(.down)
        var whole = time_t(seconds)
        var parts = tm()
        gmtime_r(&whole, &parts)
        return (parts, min(999, max(0, Int(((interval - seconds) * 1000).rounded(.down)))))
    }

    private static func appendDay(_ parts: tm, to bytes: inout [UInt8]) {
        append(Int(parts.tm_year) + 1900, digits: 4, to: &bytes)
        bytes.append(0x2D)
        append(Int(parts.tm_mon) + 1, digits: 2, to: &bytes)
        bytes.append(0x2D)
        append(Int(parts.tm_mday), digits: 2, to: &bytes)
    }

    private static func appendTime(_ parts: tm, to bytes: inout [UInt8]) {
        append(Int(parts.tm_hour), digits: 2, to: &bytes)
        bytes.append(0x3A)
        append(Int(parts.tm_min), digits: 2, to: &bytes)
        bytes.append(0x3A)
        append(Int(parts.tm_sec), digits: 2, to: &bytes)
    }

    /// `value` in decimal, zero-padded to `digits` (years before 1000 or after 9999 do not occur).
    private static func append(_ value: Int, digits: Int, to bytes: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<digits { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            bytes.append(0x30 + UInt8((rest / divisor) % 10))
            rest %= divisor
            divisor /= 10
        }
    }
}
