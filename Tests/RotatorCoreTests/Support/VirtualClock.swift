import Foundation
import Synchronization

/// A clock for whole runs in-process: `now` moves only when the code under test sleeps, and a
/// sleep returns at once. Retry back-offs, `Retry-After` pauses, write pacing and grace periods
/// then cost no wall-clock time, and a test can read how long the run believed it waited.
final class VirtualClock: Sendable {
    private let current: Mutex<Date>
    private let slept = Mutex<Duration>(.zero)

    init(start: Date = Date()) {
        current = Mutex(start)
    }

    func now() -> Date {
        current.withLock { $0 }
    }

    /// Advances the clock by `duration` and lets other tasks run, as a real sleep would.
    func sleep(_ duration: Duration) async throws {
        guard duration > .zero else {
            await Task.yield()
            return
        }
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
        slept.withLock { $0 += duration }
        await Task.yield()
    }

    /// Moves the clock without anyone sleeping (time passing between two runs).
    func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    /// Everything the code under test slept, in total.
    var totalSlept: Duration {
        slept.withLock { $0 }
    }
}
