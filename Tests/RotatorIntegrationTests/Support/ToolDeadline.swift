import Foundation
import Synchronization
import Testing

/// A deadline for a helper tool a test runs synchronously (promtool, systemd-analyze): armed once
/// the process runs, it kills the process when the time is up so that the reads and the wait
/// return, and `disarm` then fails the test.
final class ToolDeadline: Sendable {
    private let fired = Mutex(false)
    private let name: String
    private let deadline: Duration

    /// Call right after `process.run()`, before reading its output.
    init(_ process: Process, deadline: Duration = .seconds(60)) {
        self.name = process.executableURL?.lastPathComponent ?? "a tool"
        self.deadline = deadline
        let pid = process.processIdentifier
        let seconds = Double(deadline.components.seconds) + Double(deadline.components.attoseconds) / 1e18
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            let expired = fired.withLock { state in
                if state { return false }
                state = true
                return true
            }
            if expired { kill(pid, SIGKILL) }
        }
    }

    /// Call once the process has exited: fails the test if the deadline killed it.
    func disarm(sourceLocation: SourceLocation = #_sourceLocation) {
        let expired = fired.withLock { state in
            defer { state = true }
            return state
        }
        if expired { Issue.record("\(name) did not exit within \(deadline) and was killed", sourceLocation: sourceLocation) }
    }
}
