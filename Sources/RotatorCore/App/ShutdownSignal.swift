import Dispatch
import Foundation
import Synchronization

/// SIGTERM (systemd stop) and SIGINT (Ctrl-C) set a flag instead of killing the process: the run
/// finishes the step in flight, journals it, starts nothing new and exits cleanly.
public final class ShutdownSignal: Sendable {
    private let requested = Atomic<Bool>(false)
    /// The sources must stay alive for the handlers to fire; they live as long as the process.
    private nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []
    private static let installLock = Mutex(())

    public init() {}

    /// Installs the handlers. Call once, at the edge.
    public func install() {
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [self] in
                requested.store(true, ordering: .sequentiallyConsistent)
                FileHandle.standardError.write(Data("envshed-rotator: stop requested; finishing the current step\n".utf8))
            }
            source.resume()
            Self.installLock.withLock { _ in Self.sources.append(source) }
        }
    }

    public var isRequested: Bool {
        requested.load(ordering: .sequentiallyConsistent)
    }
}
