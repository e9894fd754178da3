import Foundation
import RotatorCore
import Synchronization

/// The real transport to the emulators, with the faults of one run on top: each request gets a
/// fault drawn from the run's seed, its method and path and how many times that request was
/// sent, so that two rotations racing do not shift each other's faults. At request `killAt` the
/// process "dies": `onKill` takes what a killed process leaves, and every later request of the
/// run is refused before reaching a service.
final class FaultTransport: HTTPTransport {
    private struct State {
        var sent = 0
        var occurrences: [String: Int] = [:]
        var killed = false
        var log: [String] = []
    }

    private let inner: any HTTPTransport
    private let seed: UInt64
    private let faultPerMille: Int
    private let killAt: Int?
    private let githubHost: String
    private let onKill: @Sendable () -> Void
    private let state = Mutex(State())

    init(
        _ inner: any HTTPTransport, seed: UInt64, faultPerMille: Int, killAt: Int?, githubHost: String,
        onKill: @escaping @Sendable () -> Void
    ) {
        self.inner = inner
        self.seed = seed
        self.faultPerMille = faultPerMille
        self.killAt = killAt
        self.githubHost = githubHost
        self.onKill = onKill
    }

    /// What happened to the run's requests: every fault, and the kill.
    var log: [String] { state.withLock { $0.log } }

    var wasKilled: Bool { state.withLock { $0.killed } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let summary = "\(request.method) \(request.url.host ?? ""):\(request.url.port ?? 0)\(request.url.path)"
        let (number, fault, killNow, dead) = state.withLock { state -> (Int, ModelFault?, Bool, Bool) in
            if state.killed { return (state.sent, nil, false, true) }
            state.sent += 1
            if let killAt, state.sent >= killAt {
                state.killed = true
                state.log.append("request \(state.sent) \(summary): SIGKILL")
                return (state.sent, nil, true, true)
            }
            let key = request.method + " " + request.url.path
            let occurrence = state.occurrences[key, default: 0]
            state.occurrences[key] = occurrence + 1
            let fault = Self.fault(seed: seed, key: key, occurrence: occurrence, perMille: faultPerMille)
            if let fault { state.log.append("request \(state.sent) \(summary): \(fault)") }
            return (state.sent, fault, false, false)
        }
        if killNow { onKill() }
        if dead { throw TransportError.unreachable(request: request.summary, reason: "the process was killed (request \(number))") }
        guard let fault else { return try await inner.send(request) }
        if fault.applies { _ = try await inner.send(request) }
        switch fault {
        case .serverErrorBefore, .serverErrorAfter:
            return HTTPResponse(status: 502, headers: ["content-type": "text/html"], body: Data("<html>502 Bad Gateway</html>".utf8))
        case .timeoutBefore, .timeoutAfter:
            throw TransportError.timedOut(request: request.summary, seconds: Int(request.timeout.components.seconds))
        case .resetBefore, .resetAfter:
            throw TransportError.unreachable(request: request.summary, reason: "connection reset by peer")
        case .secondaryRateLimit where request.url.host.map({ "\($0):\(request.url.port ?? 0)" }) == githubHost:
            let body = #"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}"#
            return HTTPResponse(status: 403, headers: ["retry-after": "60", "content-type": "application/json"], body: Data(body.utf8))
        case .tooManyRequests, .secondaryRateLimit:
            return HTTPResponse(status: 429, headers: ["retry-after": "2", "content-type": "application/json"], body: Data(#"{"message":"Too Many Requests"}"#.utf8))
        }
    }

    /// The fault for the `occurrence`-th sending of `key`, a pure function of the run's seed.
    static func fault(seed: UInt64, key: String, occurrence: Int, perMille: Int) -> ModelFault? {
        guard perMille > 0 else { return nil }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        var random = SplitMix64(seed: seed ^ hash ^ (UInt64(occurrence) &* 0x9E37_79B9_7F4A_7C15))
        guard random.int(0..<1_000) < perMille else { return nil }
        return random.pick(ModelFault.allCases)
    }
}
