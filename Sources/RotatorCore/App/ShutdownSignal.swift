import Dispatch
import Foundation
import Synchronization

/// SIGTERM (systemd stop, `rotate --preempt`) and SIGINT (Ctrl-C). While a command has changed
/// nothing yet (`InterruptBehavior.exitNow`: the prompt, the lock wait) a signal ends it at once;
/// once it writes (`.finishStep`) a signal sets a flag instead of killing the process: the run
/// finishes the step in flight, journals it, starts nothing new and exits cleanly.
public final class ShutdownSignal: Sendable {
    private let requested = Atomic<Bool>(false)
    /// Held while a signal exits the process, so that `setBehavior(.finishStep)` — called just
    /// before the first change — cannot return while an exit is under way.
    private let behavior = Mutex<InterruptBehavior>(.finishStep)
    private let announce: @Sendable (String, ExitStatus?) -> Void
    /// The sources must stay alive for the handlers to fire; they live as long as the process.
    private nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []
    private static let installLock = Mutex(())

    /// - Parameter announce: writes the line a signal prints (with the exit status when the
    ///   process ends at once), in the process's stderr format.
    public init(announce: @escaping @Sendable (String, ExitStatus?) -> Void = { line, _ in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }) {
        self.announce = announce
    }

    /// Installs the handlers. Call once, at the edge.
    public func install() {
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [self] in received(signalNumber) }
            source.resume()
            Self.installLock.withLock { _ in Self.sources.append(source) }
        }
    }

    /// Changes what the next signal does. Returns only when no signal is ending the process.
    public func setBehavior(_ new: InterruptBehavior) {
        behavior.withLock { $0 = new }
    }

    private func received(_ signalNumber: Int32) {
        behavior.withLock { current in
            if case .exitNow(let status, let line) = current {
                let name = signalNumber == SIGINT ? "interrupted (SIGINT)" : "stopped (SIGTERM)"
                announce("envshed-rotator: \(name): \(line)", status)
                // Under the lock: no step can start while the process ends. Nothing to flush:
                // stderr is unbuffered and nothing has been changed.
                _exit(status.rawValue)
            }
            requested.store(true, ordering: .sequentiallyConsistent)
            announce("envshed-rotator: stop requested; finishing the current step", nil)
        }
    }

    public var isRequested: Bool {
        requested.load(ordering: .sequentiallyConsistent)
    }
}
