import Foundation

extension Date {
    /// The date without its fractional seconds.
    ///
    /// Both services print timestamps to the second; storing them that way keeps what the
    /// inspection API returns equal to what a client parsed from the wire.
    var truncatedToWholeSeconds: Date {
        Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.down))
    }

    /// ISO 8601 in UTC with a `Z` and no fractional seconds, as in `2026-11-29T10:00:00Z`.
    var iso8601WholeSeconds: String {
        truncatedToWholeSeconds.formatted(.iso8601)
    }
}
