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
    private let observers = Mutex<[@Sendable (ObservedRequest) -> Void]>([])
    private let load = Mutex(Load())

    /// What the emulator does with one request before its own handling.
    enum Interception {
        /// Dropped (or hung, then dropped): send this and nothing else.
        case dropped(Response)
        /// Handle normally, or answer `fault` when set; `afterHandling` says what becomes of the answer.
        case proceed(fault: InjectedFault?, afterHandling: AfterHandling)
    }

    /// What becomes of the answer of a request the emulator handled (its effect is committed).
    enum AfterHandling: Sendable {
        case send
        /// The connection drops instead: the client cannot know whether it worked.
        case drop
        /// This fault's status, headers and body are sent instead: the client is told it failed.
        case replace(InjectedFault)
    }

    func setLatency(_ duration: Duration) {
        latency.withLock { $0 = duration }
    }

    /// Adds an observer; every observer sees every request, so a test watching for itself does not
    /// switch off the scenario's monitor.
    func observe(_ body: @escaping @Sendable (ObservedRequest) -> Void) {
        observers.withLock { $0.append(body) }
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
            return .proceed(fault: nil, afterHandling: .send)
        }
        switch fault.behavior {
        case .answer:
            return .proceed(fault: fault, afterHandling: .send)
        case .applyThenDrop:
            return .proceed(fault: nil, afterHandling: .drop)
        case .applyThenAnswer:
            return .proceed(fault: nil, afterHandling: .replace(fault))
        case .delay(let duration):
            try? await Task.sleep(for: duration)
            return .proceed(fault: nil, afterHandling: .send)
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

    /// The last thing: notify that the request was applied, then answer, lose the answer, or send
    /// a fault's answer instead.
    func finish(_ response: Response, method: String, path: String, status: Int, afterHandling: AfterHandling) -> Response {
        load.withLock { $0.inFlight -= 1 }
        switch afterHandling {
        case .send:
            notify(ObservedRequest(method: method, path: path, phase: .handled, status: status))
            return response
        case .drop:
            notify(ObservedRequest(method: method, path: path, phase: .handled, status: status, answered: nil))
            return Self.dropped()
        case .replace(let fault):
            notify(ObservedRequest(method: method, path: path, phase: .handled, status: status, answered: fault.status))
            return Self.answer(fault)
        }
    }

    /// A fault's answer sent after the request took effect. Clients decide on the status (and
    /// `Retry-After`), so a generic JSON error body stands in for each service's own format.
    private static func answer(_ fault: InjectedFault) -> Response {
        var reply = JSONResponse(status: fault.status, json: .object(["message": .string(HTTPReasonPhrase.phrase(for: fault.status))]))
        if let body = fault.body { reply.body = body }
        for (name, value) in fault.headers.sorted(by: { $0.key < $1.key }) {
            reply.setHeader(name, value)
        }
        return reply.makeResponse(contentType: "application/json")
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
        for body in observers.withLock({ $0 }) { body(request) }
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
    /// The status the emulator's handling decided (nil on arrival).
    public let status: Int?
    /// The status the client is sent: `status`, an injected fault's status when the answer was
    /// replaced after the request took effect, nil when the answer is lost or not yet decided.
    public let answered: Int?

    init(method: String, path: String, phase: Phase, status: Int?) {
        self.init(method: method, path: path, phase: phase, status: status, answered: status)
    }

    init(method: String, path: String, phase: Phase, status: Int?, answered: Int?) {
        self.method = method
        self.path = path
        self.phase = phase
        self.status = status
        self.answered = answered
    }

    public var isWrite: Bool { method != "GET" && method != "HEAD" }
}
