import Foundation
import Hummingbird
import HTTPTypes
import Synchronization

/// What a test can do to an emulator beyond faults: add latency to every request, and watch each
/// request as it arrives and once it has been handled (the crash tests kill the client there).
final class EmulatorControls: Sendable {
    private let latency = Mutex<Duration>(.zero)
    private let observer = Mutex<(@Sendable (ObservedRequest) -> Void)?>(nil)

    func setLatency(_ duration: Duration) {
        latency.withLock { $0 = duration }
    }

    func observe(_ body: @escaping @Sendable (ObservedRequest) -> Void) {
        observer.withLock { $0 = body }
    }

    /// Called first for every request: notifies, then waits out the configured latency.
    func received(method: String, path: String) async {
        notify(ObservedRequest(method: method, path: path, phase: .received, status: nil))
        let delay = latency.withLock { $0 }
        if delay > .zero { try? await Task.sleep(for: delay) }
    }

    /// Called once the emulator has applied the request, before the answer is sent.
    func handled(method: String, path: String, status: Int) {
        notify(ObservedRequest(method: method, path: path, phase: .handled, status: status))
    }

    /// Applies a fault's non-answer behaviour. Returns a response for a dropped connection, nil when
    /// the request should go on to normal handling (after a delay).
    func apply(_ behavior: InjectedFault.Behavior) async -> Response? {
        switch behavior {
        case .answer, .applyThenDrop:
            return nil
        case .delay(let duration):
            try? await Task.sleep(for: duration)
            return nil
        case .hang:
            // Until the emulator stops (its graceful shutdown is bounded) or the client gives up.
            try? await Task.sleep(for: .seconds(3_600))
            return Self.dropped()
        case .dropConnection:
            return Self.dropped()
        }
    }

    /// Promises a body and closes the connection instead: the client sees the connection drop.
    static func dropped() -> Response {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        return Response(status: .ok, headers: fields, body: ResponseBody(contentLength: 64) { _ in
            throw DroppedConnection()
        })
    }

    private func notify(_ request: ObservedRequest) {
        let body = observer.withLock { $0 }
        body?(request)
    }

    private struct DroppedConnection: Error {}
}

/// A request as an observer sees it.
public struct ObservedRequest: Sendable {
    public enum Phase: Sendable {
        /// Arrived; nothing applied yet.
        case received
        /// Applied (the token exists, the secret is stored…); the answer is not sent yet.
        case handled
    }

    public let method: String
    public let path: String
    public let phase: Phase
    public let status: Int?

    public var isWrite: Bool { method != "GET" && method != "HEAD" }
}
