import Foundation
import Logging

/// Wraps a transport with bounded retries (`RetryPolicy`) and per-host rate-limit pauses
/// (`HostThrottle`). Sits above the clients' auth headers, so a retry resends the same request;
/// logs one line per retry, without headers or bodies.
public struct RetryingTransport: HTTPTransport {
    private let inner: any HTTPTransport
    private let policy: RetryPolicy
    private let throttle: HostThrottle
    private let logger: Logger
    private let sleep: @Sendable (Duration) async throws -> Void
    private let now: @Sendable () -> Date

    public init(
        _ inner: any HTTPTransport, policy: RetryPolicy = .standard, throttle: HostThrottle = HostThrottle(), logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.inner = inner
        self.policy = policy
        self.throttle = throttle
        self.logger = logger
        self.now = now
        self.sleep = sleep
    }

    /// No answer, or a server error: the server may have carried the request out. A 429 or a
    /// rate-limit 403 is a refusal: nothing was applied.
    static func mayHaveBeenApplied(_ outcome: RetryPolicy.Outcome) -> Bool {
        switch outcome {
        case .failure: true
        case .response(let response): response.status >= 500
        }
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        // host:port, so that two services on one host (loopback emulators) pause independently.
        let host = BudgetedTransport.key(request.url.host, request.url.port)
        let started = ContinuousClock.now
        var attempt = 1
        var uncertain = false
        while true {
            let pause = await throttle.wait(for: host)
            if pause > .zero { try await sleep(pause) }
            let outcome: RetryPolicy.Outcome
            do {
                outcome = .response(try await inner.send(request))
            } catch let error as TransportError {
                outcome = .failure(error)
            }
            let decision = policy.decide(
                outcome, request: request, attempt: attempt, elapsed: started.duration(to: .now), now: now(),
                random: Double.random(in: 0..<1)
            )
            switch (decision, outcome) {
            case (.done, .response(var response)):
                response.followsUncertainAttempt = uncertain
                return response
            case (.done, .failure(let error)):
                throw error
            case (.retry(let delay, let reason, let rateLimited), _):
                logger.notice("retrying", metadata: [
                    "http.request": "\(request.summary)",
                    "retry.reason": "\(reason)",
                    "retry.attempt": "\(attempt + 1)",
                    "retry.after_ms": "\(delay.milliseconds)",
                ])
                if rateLimited {
                    await throttle.pause(host, for: delay)
                } else {
                    try await sleep(delay)
                }
                if Self.mayHaveBeenApplied(outcome) { uncertain = true }
                attempt += 1
            }
        }
    }
}
