import Foundation

/// How far a `run` or `rotate` has got: rotations done of those due, failures so far, and when
/// it started. The CLI shows it as one line kept up to date at the bottom of a terminal, or as a
/// plain line now and then otherwise.
public struct RunProgress: Sendable, Equatable {
    public var due: Int
    public var done: Int
    public var failed: Int
    public var startedAt: Date
    /// The last update of the command: the terminal line is cleared.
    public var finished: Bool

    public init(due: Int, done: Int = 0, failed: Int = 0, startedAt: Date, finished: Bool = false) {
        self.due = due
        self.done = done
        self.failed = failed
        self.startedAt = startedAt
        self.finished = finished
    }

    /// `3/10 rotations done, 1 failed, 00:42 elapsed`
    public func line(now: Date) -> String {
        let seconds = max(0, Int(now.timeIntervalSince(startedAt)))
        let elapsed = seconds >= 3_600
            ? String(format: "%d:%02d:%02d", seconds / 3_600, seconds / 60 % 60, seconds % 60)
            : String(format: "%02d:%02d", seconds / 60, seconds % 60)
        return "\(done)/\(due) rotation\(due == 1 ? "" : "s") done, \(failed) failed, \(elapsed) elapsed"
    }

    /// Whether a plain (non-terminal) progress line is worth printing at this update: each of
    /// the first 20, then every 5 %, and the last, so a 5,000-rotation run prints about 20 lines.
    public var isMilestone: Bool {
        guard due > 0, done > 0 else { return false }
        return due <= 20 || done == due || done % max(1, due / 20) == 0
    }
}
