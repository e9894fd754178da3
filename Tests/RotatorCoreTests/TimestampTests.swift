import Foundation
import GRDB
import Testing
@testable import RotatorCore

/// `Timestamp` formats by hand for speed; it must write exactly what Foundation's formatters and
/// GRDB write, or the state and the APIs would read something else back.
@Suite("Timestamps")
struct TimestampTests {
    /// Dates across leap years, month ends, the epoch and far futures, with sub-millisecond parts.
    static let dates: [Date] = {
        var random = SplitMix64(seed: 0x7135)
        var dates = [
            Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 951_782_400.999_9), // 2000-02-29
            Date(timeIntervalSince1970: 1_798_761_599.5), Date(timeIntervalSince1970: 4_102_444_800.001),
            Date(timeIntervalSince1970: 1_780_000_000.000_4),
        ]
        for _ in 0..<500 {
            dates.append(Date(timeIntervalSince1970: Double(random.next() % 4_000_000_000) + Double(random.next() % 1_000_000) / 1_000_000))
        }
        return dates
    }()

    @Test("ISO 8601 with and without milliseconds, as Foundation writes them")
    func iso8601() {
        for date in Self.dates {
            #expect(Timestamp.format(date) == date.formatted(.iso8601), "\(date.timeIntervalSince1970)")
            #expect(
                Timestamp.formatFractional(date) == date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)),
                "\(date.timeIntervalSince1970)"
            )
            #expect(Timestamp.day(date) == date.formatted(Date.ISO8601FormatStyle().year().month().day()))
            #expect(Timestamp.timeOfDay(date) == date.formatted(Date.ISO8601FormatStyle().time(includingFractionalSeconds: false)))
        }
    }

    /// The executor stores "revocable after T" and revokes when T <= now, right away when there is
    /// no grace period: a stored T later than the real one (GRDB's own encoding rounds to the
    /// nearest millisecond) left an old token live until the next run.
    @Test("the state's format is GRDB's, rounded down: read back, never later than written")
    func databaseFormat() throws {
        for date in Self.dates {
            let text = Timestamp.database(date)
            #expect(text.count == 23 && text.dropFirst(10).hasPrefix(" ") && !text.hasSuffix("Z"), "\(text)")
            let back = try #require(Date.fromDatabaseValue(text.databaseValue), "\(text)")
            #expect(back <= date, "\(text) reads back as \(back.timeIntervalSince1970), after \(date.timeIntervalSince1970)")
            #expect(date.timeIntervalSince1970 - back.timeIntervalSince1970 < 0.001 + 1e-6)
            #expect(Timestamp.format(back) == Timestamp.format(date))
        }
    }

    @Test("what it writes parses back")
    func roundTrip() {
        for date in Self.dates {
            let parsed = Timestamp.parse(Timestamp.format(date))
            #expect(parsed == Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)))
        }
    }
}
