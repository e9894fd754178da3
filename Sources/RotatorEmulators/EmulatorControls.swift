import Foundation
import Hummingbird
import HTTPTypes
import Synchronization

/// What a test can do to an emulator beyond faults: add latency to every request, and watch each
/// request as it arrives and once it has been handled (the crash tests kill the client there).
final class EmulatorControls: Sendable {
    private struct Load {
        var inFlight = 0
        var maxInFlight = 0
        var writeTimes: [ContinuousClock.Instant] = []
    }

    private let latency = Mutex<Duration>(.zero)
    private let observer = Mutex<(@Sendable (ObservedRequest) -> Void)?>(nil)
    private let load = Mutex(Load())

    /// What the emulator does with one request before its own handling.
    enum Interception {
        /// Dropped (or hung, then dropped): send this and nothing else.
        case dropped(Response)
        /// Handle normally, or answer `fault` when set; `dropAfterHandling` loses the answer.
        case proceed(fault: InjectedFault?, dropAfterHandling: Bool)
    }

    func setLatency(_ duration: Duration) {
        latency.withLock { $0 = duration }
    }

    func observe(_ body: @escaping @Sendable (ObservedRequest) -> Void) {
        observer.withLock { $0 = body }
    }

    /// The most requests this emulator was answering at once.
    var maxConcurrentRequests: Int {
        load.withLock { $0.maxInFlight }
    }

    /// The most write requests (not GET/HEAD) received within any `window`.
    func maxWrites(within window: Duration) -> Int {
        let times = load.withLock { $0.writeTimes }.sorted()
        var best = 0
        var start = 0
        for end in times.indices {
            while times[start].duration(to: times[end]) >= window { start += 1 }
            best = max(best, end - start + 1)
        }
        return best
    }

    /// The first thing every emulator does with a request: count it, notify, wait out the
    /// latency, then apply a matching fault's behaviour.
    func intercept(method: String, path: String, faults: FaultInjector) async -> Interception {
        load.withLock { load in
            load.inFlight += 1
            load.maxInFlight = max(load.maxInFlight, load.inFlight)
            if method != "GET" && method != "HEAD" { load.writeTimes.append(.now) }
        }
        notify(ObservedRequest(method: method, path: path, phase: .received, status: nil))
        let delay = latency.withLock { $0 }
        if delay > .zero { try? await Task.sleep(for: delay) }
        guard let fault = faults.fault(method: method, path: path) else {
            return .proceed(fault: nil, dropAfterHandling: false)
        }
        switch fault.behavior {
        case .answer:
            return .proceed(fault: fault, dropAfterHandling: false)
        case .applyThenDrop:
            return .proceed(fault: nil, dropAfterHandling: true)
        case .delay(let duration):
            try? await Task.sleep(for: duration)
            return .proceed(fault: nil, dropAfterHandling: false)
        case .hang:
            // Until the emulator stops (its graceful shutdown is bounded) or the client gives up.
            try? await Task.sleep(for: .seconds(3_600))
            load.withLock { $0.inFlight -= 1 }
            return .dropped(Self.dropped())
        case .dropConnection:
            load.withLock { $0.inFlight -= 1 }
            return .dropped(Self.dropped())
        }
    }

    /// The last thing: notify that the request was applied, then answer (or lose the answer).
    func finish(_ response: Response, method: String, path: String, status: Int, dropAfterHandling: Bool) -> Response {
        load.withLock { $0.inFlight -= 1 }
        notify(ObservedRequest(method: method, path: path, phase: .handled, status: status))
        return dropAfterHandling ? Self.dropped() : response
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
