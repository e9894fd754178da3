import Foundation
import Logging
@testable import RotatorCore
import Testing

/// `RetryPolicy.decide` is a pure function: every case below is one call with a fixed clock and a
/// fixed jitter draw. `RetryingTransport` is driven through a fake transport with a recording
/// `sleep`, so nothing here waits for real.
@Suite("Retry policy and retrying transport")
struct RetryPolicyTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000) // Tue, 14 Nov 2023 22:13:20 GMT
    static let policy = RetryPolicy.standard // 4 attempts, 500 ms base, 20 s cap, 120 s total, 120 s rate-limit wait

    static func get(_ url: String = "https://api.github.com/repos/acme/api/actions/secrets/X") -> HTTPRequest {
        HTTPRequest(method: "GET", url: URL(string: url)!)
    }

    static func response(_ status: Int, _ headers: [String: String] = [:], body: String = "") -> RetryPolicy.Outcome {
        .response(HTTPResponse(status: status, headers: headers, body: Data(body.utf8)))
    }

    static func decide(
        _ outcome: RetryPolicy.Outcome, request: HTTPRequest = get(), attempt: Int = 1, elapsed: Duration = .zero,
        random: Double = 0.5, policy: RetryPolicy = policy
    ) -> RetryPolicy.Decision {
        policy.decide(outcome, request: request, attempt: attempt, elapsed: elapsed, now: now, random: random)
    }

    /// The wait of a retry decision, nil for `.done`.
    static func wait(_ decision: RetryPolicy.Decision) -> Duration? {
        if case .retry(let after, _, _) = decision { return after }
        return nil
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func isRateLimited(_ decision: RetryPolicy.Decision) -> Bool {
        if case .retry(_, _, let rateLimited) = decision { return rateLimited }
        return false
    }

    // MARK: - Server errors and backoff

    @Test("500, 502, 503 and 504 are retried with full-jitter backoff", arguments: [500, 502, 503, 504])
    func serverErrorsRetried(status: Int) {
        let decision = Self.decide(Self.response(status), random: 0.5)
        #expect(Self.wait(decision) == .milliseconds(250), "half of the first ceiling (500 ms)")
        #expect(!Self.isRateLimited(decision), "a 5xx does not pause the whole host")
        if case .retry(_, let reason, _) = decision { #expect(reason == "HTTP \(status)") }
    }

    @Test("other 5xx and 4xx answers are not retried", arguments: [400, 401, 403, 404, 409, 410, 422, 501, 505, 200, 201, 204, 302])
    func otherStatusesNotRetried(status: Int) {
        #expect(Self.decide(Self.response(status)) == .done)
    }

    struct Jitter: Sendable, CustomTestStringConvertible {
        let attempt: Int
        let random: Double
        /// The expected wait, in milliseconds.
        let expected: Double
        var testDescription: String { "attempt \(attempt), random \(random)" }
    }

    /// Ceiling = min(20 s, 500 ms × 2^(attempt-1)): 0.5, 1, 2, 4, 8, 16, then 20 s from attempt 7.
    static let jitterTable: [Jitter] = [
        Jitter(attempt: 1, random: 0, expected: 0),
        Jitter(attempt: 1, random: 0.999, expected: 499.5),
        Jitter(attempt: 2, random: 0, expected: 0),
        Jitter(attempt: 2, random: 0.999, expected: 999),
        Jitter(attempt: 3, random: 0.999, expected: 1_998),
        Jitter(attempt: 4, random: 0.5, expected: 2_000),
        Jitter(attempt: 6, random: 0.999, expected: 15_984),
        Jitter(attempt: 7, random: 0.999, expected: 19_980),
        Jitter(attempt: 7, random: 0, expected: 0),
        Jitter(attempt: 30, random: 0.999, expected: 19_980),
        Jitter(attempt: 1_000, random: 0.999, expected: 19_980),
        // Out-of-range draws are clamped to 0...1.
        Jitter(attempt: 3, random: -5, expected: 0),
        Jitter(attempt: 3, random: 7, expected: 2_000),
    ]

    @Test("backoff is full jitter: 0 at random 0, about the ceiling at 0.999, never above maxDelay", arguments: jitterTable)
    func fullJitter(_ row: Jitter) throws {
        let roomy = RetryPolicy(maxAttempts: 10_000, maxTotal: .seconds(1_000_000))
        let decision = Self.decide(Self.response(503), attempt: row.attempt, random: row.random, policy: roomy)
        let wait = try #require(Self.wait(decision))
        #expect(abs(Self.seconds(wait) * 1_000 - row.expected) <= 1, "\(wait)")
        #expect(wait <= roomy.maxDelay)
        #expect(wait >= .zero)
    }

    @Test("any jitter draw stays within [0, ceiling] for every attempt")
    func jitterBounds() {
        var random = SplitMix64(seed: 7)
        let roomy = RetryPolicy(maxAttempts: 10_000, maxTotal: .seconds(1_000_000))
        for _ in 0..<2_000 {
            let attempt = random.int(1...64)
            let draw = Double.random(in: 0..<1, using: &random)
            let ceiling = min(roomy.maxDelay, roomy.baseDelay * (1 << min(attempt - 1, 20)))
            guard let wait = Self.wait(Self.decide(Self.response(502), attempt: attempt, random: draw, policy: roomy)) else {
                Issue.record("attempt \(attempt) was not retried")
                return
            }
            #expect(wait >= .zero && wait <= ceiling, "attempt \(attempt), draw \(draw): \(wait) > \(ceiling)")
        }
    }

    @Test("a 5xx with Retry-After waits what the server asked, not the backoff")
    func serverErrorWithRetryAfter() {
        let decision = Self.decide(Self.response(503, ["Retry-After": "7"]), random: 0.999)
        #expect(Self.wait(decision) == .seconds(7))
        #expect(!Self.isRateLimited(decision))
        #expect(Self.decide(Self.response(503, ["Retry-After": "3600"])) == .done, "more than maxRateLimitWait: not waited")
    }

    // MARK: - Transport failures

    static let failures: [TransportError] = [
        .timedOut(request: "GET api.github.com/x", seconds: 30),
        .unreachable(request: "GET api.github.com/x", reason: "connection reset by peer"),
        .invalidResponse(request: "GET api.github.com/x"),
    ]

    @Test("timeouts and dropped connections are retried for idempotent requests", arguments: failures)
    func transportFailures(error: TransportError) {
        let decision = Self.decide(.failure(error), random: 0)
        #expect(Self.wait(decision) == .zero)
        if case .retry(_, let reason, let rateLimited) = decision {
            #expect(reason == error.description)
            #expect(!rateLimited)
        } else {
            Issue.record("not retried: \(decision)")
        }
        let post = HTTPRequest(method: "POST", url: URL(string: "https://envshed.test/api/v1/service-tokens/acme")!)
        #expect(Self.decide(.failure(error), request: post) == .done, "a create whose answer was lost is never repeated blindly")
    }

    // MARK: - Idempotency

    @Test("methods: GET, HEAD, PUT, DELETE, OPTIONS are retried; POST and PATCH only when marked idempotent",
          arguments: [("GET", true), ("HEAD", true), ("PUT", true), ("DELETE", true), ("OPTIONS", true), ("POST", false), ("PATCH", false)])
    func idempotency(method: String, retried: Bool) {
        let url = URL(string: "https://api.example.com/x")!
        let plain = HTTPRequest(method: method, url: url)
        #expect((Self.decide(Self.response(503), request: plain) != .done) == retried)
        #expect((Self.decide(Self.response(429, ["Retry-After": "1"]), request: plain) != .done) == retried, "not even a 429")
        let marked = HTTPRequest(method: method, url: url, isIdempotent: true)
        #expect(Self.decide(Self.response(503), request: marked) != .done)
        let unmarked = HTTPRequest(method: method, url: url, isIdempotent: false)
        #expect(Self.decide(Self.response(503), request: unmarked) == .done)
    }

    // MARK: - Bounds

    @Test("attempts are bounded by maxAttempts", arguments: [1, 2, 3, 4, 5, 10])
    func attemptsBounded(maxAttempts: Int) {
        let policy = RetryPolicy(maxAttempts: maxAttempts)
        for attempt in 1...(maxAttempts + 2) {
            let decision = Self.decide(Self.response(500), attempt: attempt, policy: policy)
            #expect((decision != .done) == (attempt < maxAttempts), "attempt \(attempt) of \(maxAttempts)")
            let limited = Self.decide(Self.response(429, ["Retry-After": "1"]), attempt: attempt, policy: policy)
            #expect((limited != .done) == (attempt < maxAttempts), "a rate limit does not buy extra attempts")
        }
    }

    @Test("no retry would end after maxTotal")
    func totalTimeBounded() {
        // Backoff: the wait counts too.
        #expect(Self.decide(Self.response(500), elapsed: .seconds(119), random: 0) == .retry(after: .zero, reason: "HTTP 500", rateLimited: false))
        #expect(Self.decide(Self.response(500), elapsed: .milliseconds(119_600), random: 0.999) == .done, "119.6 s + 0.4995 s > 120 s")
        #expect(Self.decide(Self.response(500), elapsed: .milliseconds(119_600), random: 0.5) == .retry(after: .milliseconds(250), reason: "HTTP 500", rateLimited: false))
        #expect(Self.decide(Self.response(500), elapsed: .seconds(121), random: 0) == .done)
        // A rate-limit wait that would run past the total is not started.
        #expect(Self.wait(Self.decide(Self.response(429, ["Retry-After": "30"]), elapsed: .seconds(90))) == .seconds(30))
        #expect(Self.decide(Self.response(429, ["Retry-After": "30"]), elapsed: .seconds(91)) == .done)
        #expect(Self.decide(.failure(Self.failures[0]), elapsed: .seconds(500)) == .done)
    }

    @Test("rate-limit waits above maxRateLimitWait are not waited")
    func rateLimitWaitBounded() {
        #expect(Self.wait(Self.decide(Self.response(429, ["Retry-After": "120"]))) == .seconds(120))
        #expect(Self.decide(Self.response(429, ["Retry-After": "121"])) == .done)
        let reset = String(Int(Self.now.timeIntervalSince1970) + 600)
        #expect(Self.decide(Self.response(403, ["x-ratelimit-remaining": "0", "x-ratelimit-reset": reset])) == .done, "GitHub limit resets in 10 min")
        #expect(Self.decide(Self.response(429, ["RateLimit-Reset": reset])) == .done, "GitLab limit resets in 10 min")
        let strict = RetryPolicy(maxRateLimitWait: .seconds(5))
        #expect(Self.decide(Self.response(429), policy: strict) == .done, "the 60 s default wait is over 5 s")
        #expect(Self.wait(Self.decide(Self.response(429, ["Retry-After": "5"]), policy: strict)) == .seconds(5))
    }

    // MARK: - Rate limits

    struct RateLimited: Sendable, CustomTestStringConvertible {
        let name: String
        let status: Int
        let headers: [String: String]
        let body: String
        /// Seconds; nil when the answer must not be retried.
        let wait: Int?
        var testDescription: String { name }
    }

    static let epoch = Int(now.timeIntervalSince1970)
    static let secondaryLimit = #"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}"#

    static let rateLimits: [RateLimited] = [
        RateLimited(name: "429 without headers waits a minute", status: 429, headers: [:], body: "", wait: 60),
        RateLimited(name: "429 Retry-After seconds", status: 429, headers: ["Retry-After": "17"], body: "", wait: 17),
        RateLimited(name: "429 Retry-After with spaces", status: 429, headers: ["retry-after": "  9 "], body: "", wait: 9),
        RateLimited(name: "429 Retry-After 0", status: 429, headers: ["Retry-After": "0"], body: "", wait: 0),
        RateLimited(name: "429 Retry-After negative is now", status: 429, headers: ["Retry-After": "-30"], body: "", wait: 0),
        RateLimited(name: "429 Retry-After HTTP-date", status: 429, headers: ["Retry-After": "Tue, 14 Nov 2023 22:13:50 GMT"], body: "", wait: 30),
        RateLimited(name: "429 Retry-After HTTP-date a minute ahead", status: 429,
                    headers: ["Retry-After": "Tue, 14 Nov 2023 22:14:20 GMT"], body: "", wait: 60),
        RateLimited(name: "429 Retry-After HTTP-date in the past is now", status: 429, headers: ["Retry-After": "Tue, 14 Nov 2023 22:00:00 GMT"], body: "", wait: 0),
        RateLimited(name: "429 Retry-After garbage falls back to a minute", status: 429, headers: ["Retry-After": "soon"], body: "", wait: 60),
        RateLimited(name: "GitHub 403 limit spent: waits until x-ratelimit-reset", status: 403,
                    headers: ["x-ratelimit-remaining": "0", "x-ratelimit-reset": String(epoch + 42), "x-ratelimit-limit": "5000"],
                    body: #"{"message":"API rate limit exceeded for installation ID 678."}"#, wait: 42),
        RateLimited(name: "GitHub 403 limit spent, reset already passed", status: 403,
                    headers: ["X-RateLimit-Remaining": "0", "X-RateLimit-Reset": String(epoch - 5)], body: "", wait: 0),
        RateLimited(name: "GitHub 403 Retry-After beats x-ratelimit-reset", status: 403,
                    headers: ["x-ratelimit-remaining": "0", "x-ratelimit-reset": String(epoch + 90), "retry-after": "3"], body: "", wait: 3),
        RateLimited(name: "GitHub secondary limit 403 (message only) waits a minute", status: 403, headers: [:], body: secondaryLimit, wait: 60),
        RateLimited(name: "GitHub secondary limit 403 with Retry-After", status: 403, headers: ["Retry-After": "25"], body: secondaryLimit, wait: 25),
        RateLimited(name: "GitHub 429 limit spent: x-ratelimit-reset", status: 429,
                    headers: ["x-ratelimit-remaining": "0", "x-ratelimit-reset": String(epoch + 11)], body: "", wait: 11),
        RateLimited(name: "GitLab 429 RateLimit-Reset", status: 429,
                    headers: ["RateLimit-Name": "throttle_authenticated_api", "RateLimit-Limit": "60", "RateLimit-Observed": "67",
                              "RateLimit-Remaining": "0", "RateLimit-Reset": String(epoch + 13), "RateLimit-ResetTime": "Tue, 14 Nov 2023 22:13:33 GMT"],
                    body: "Retry later\n", wait: 13),
        RateLimited(name: "GitLab 429 Retry-After beats RateLimit-Reset", status: 429,
                    headers: ["Retry-After": "4", "RateLimit-Reset": String(epoch + 13)], body: "", wait: 4),
        RateLimited(name: "plain 403 (no permission) is not retried", status: 403,
                    headers: ["x-ratelimit-remaining": "4999", "x-accepted-github-permissions": "secrets=write"],
                    body: #"{"message":"Resource not accessible by integration"}"#, wait: nil),
        RateLimited(name: "plain 403 with an unrelated body is not retried", status: 403, headers: [:], body: "Forbidden", wait: nil),
        RateLimited(name: "404 is not retried, even with Retry-After", status: 404, headers: ["Retry-After": "1"], body: "", wait: nil),
        RateLimited(name: "422 is not retried", status: 422, headers: [:], body: #"{"message":"Bad request: rate limit of 5 repos"}"#, wait: nil),
    ]

    @Test("rate limits: Retry-After, GitHub's x-ratelimit and secondary limits, GitLab's RateLimit-Reset", arguments: rateLimits)
    func rateLimit(_ row: RateLimited) {
        let decision = Self.decide(Self.response(row.status, row.headers, body: row.body), random: 0.999)
        guard let seconds = row.wait else {
            #expect(decision == .done)
            return
        }
        #expect(Self.wait(decision) == .seconds(seconds), "\(decision)")
        #expect(Self.isRateLimited(decision), "the whole host pauses")
    }

    /// Header values are whatever the server sent; none may crash the decision.
    static let hostileHeaderValues = [
        "", " ", "inf", "-inf", "nan", "NaN", "1e300", "-1e300", "1e19", "9223372036854775807", "-9223372036854775808",
        "99999999999999999999999", "0x10", "1.5", "-0", "+7", "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT",
        "Thu, 01 Jan 1970 00:00:00 GMT", String(repeating: "9", count: 5_000), "\u{0}", "envshed_svc_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1",
    ]

    @Test("hostile rate-limit header values decide something without trapping", arguments: hostileHeaderValues)
    func hostileHeaders(value: String) {
        let headerSets: [[String: String]] = [
            ["Retry-After": value],
            ["x-ratelimit-remaining": "0", "x-ratelimit-reset": value],
            ["RateLimit-Reset": value],
            ["x-ratelimit-remaining": value, "x-ratelimit-reset": value, "ratelimit-reset": value, "retry-after": value],
        ]
        for headers in headerSets {
            for status in [429, 403, 503] {
                let decision = Self.decide(Self.response(status, headers))
                if let wait = Self.wait(decision) {
                    #expect(wait >= .zero && wait <= Self.policy.maxRateLimitWait, "\(status) \(headers): \(wait)")
                }
            }
        }
    }

    // MARK: - RetryingTransport

    /// Records what `RetryingTransport` asked to sleep, without sleeping.
    final class SleepRecorder: @unchecked Sendable {
        private let lock = NSLock()
        private var recorded: [Duration] = []

        var delays: [Duration] { lock.withLock { recorded } }

        var sleep: @Sendable (Duration) async throws -> Void {
            { [self] duration in lock.withLock { recorded.append(duration) } }
        }
    }

    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func retrying(_ inner: any HTTPTransport, throttle: HostThrottle = HostThrottle(), sleep: SleepRecorder, policy: RetryPolicy = policy) -> RetryingTransport {
        RetryingTransport(inner, policy: policy, throttle: throttle, logger: logger, now: { now }, sleep: sleep.sleep)
    }

    /// Answers with `statuses` in order, the last one forever after; bodies say which call it was.
    static func sequence(_ statuses: [Int], headers: [String: String] = [:]) -> FakeTransport {
        let calls = Counter()
        return FakeTransport { _ in
            let call = calls.next()
            return HTTPResponse(status: statuses[min(call, statuses.count - 1)], headers: headers, body: Data("call \(call + 1)".utf8))
        }
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int { lock.withLock { defer { value += 1 }; return value } }
    }

    @Test("retries a failing request until it succeeds, with bounded backoff and no real sleep")
    func retriesUntilSuccess() async throws {
        let inner = Self.sequence([503, 502, 500, 200])
        let sleeps = SleepRecorder()
        let response = try await Self.retrying(inner, sleep: sleeps).send(Self.get())
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "call 4")
        #expect(inner.requests.count == 4)
        let delays = sleeps.delays
        #expect(delays.count == 3)
        for (index, delay) in delays.enumerated() {
            let ceiling = Self.policy.baseDelay * (1 << index)
            #expect(delay >= .zero && delay <= ceiling, "retry \(index + 1): \(delay) > \(ceiling)")
        }
    }

    @Test("gives up after maxAttempts and returns the last answer")
    func givesUp() async throws {
        let inner = Self.sequence([500])
        let sleeps = SleepRecorder()
        let response = try await Self.retrying(inner, sleep: sleeps).send(Self.get())
        #expect(response.status == 500)
        #expect(String(decoding: response.body, as: UTF8.self) == "call \(Self.policy.maxAttempts)", "the last answer, not the first")
        #expect(inner.requests.count == Self.policy.maxAttempts)
        #expect(sleeps.delays.count == Self.policy.maxAttempts - 1)
    }

    @Test("a request that never gets an answer throws the transport error after maxAttempts")
    func givesUpOnTransportErrors() async throws {
        let inner = FakeTransport { request in throw TransportError.timedOut(request: request.summary, seconds: 30) }
        let sleeps = SleepRecorder()
        await #expect(throws: TransportError.self) { try await Self.retrying(inner, sleep: sleeps).send(Self.get()) }
        #expect(inner.requests.count == Self.policy.maxAttempts)
        #expect(sleeps.delays.count == Self.policy.maxAttempts - 1)
    }

    @Test("a POST is sent once, whatever the answer; unless marked idempotent")
    func postNotRetried() async throws {
        let url = URL(string: "https://envshed.test/api/v1/service-tokens/acme")!
        let inner = Self.sequence([503])
        let sleeps = SleepRecorder()
        let response = try await Self.retrying(inner, sleep: sleeps).send(HTTPRequest(method: "POST", url: url))
        #expect(response.status == 503)
        #expect(inner.requests.count == 1)
        #expect(sleeps.delays.isEmpty)

        let failing = FakeTransport { request in throw TransportError.unreachable(request: request.summary, reason: "connection reset") }
        await #expect(throws: TransportError.self) { try await Self.retrying(failing, sleep: sleeps).send(HTTPRequest(method: "POST", url: url)) }
        #expect(failing.requests.count == 1)

        let marked = Self.sequence([503, 201])
        let created = try await Self.retrying(marked, sleep: sleeps).send(HTTPRequest(method: "POST", url: url, isIdempotent: true))
        #expect(created.status == 201)
        #expect(marked.requests.count == 2)
    }

    @Test("a rate-limited answer pauses the host for every other request, not other hosts")
    func rateLimitPausesHost() async throws {
        let throttle = HostThrottle()
        let limited = Self.sequence([429, 200], headers: ["Retry-After": "7"])
        let first = SleepRecorder()
        let response = try await Self.retrying(limited, throttle: throttle, sleep: first).send(Self.get())
        #expect(response.status == 200)
        #expect(limited.requests.count == 2)
        // The pause is the host's: the request itself waits it out through the throttle.
        let firstDelay = try #require(first.delays.first)
        #expect(first.delays.count == 1)
        #expect(firstDelay <= .seconds(7) && firstDelay > .seconds(6), "\(firstDelay)")

        // Another request to the same host (another rotation, sharing the run's throttle) waits
        // before it is sent at all.
        let other = Self.sequence([200])
        let second = SleepRecorder()
        _ = try await Self.retrying(other, throttle: throttle, sleep: second).send(Self.get("https://api.github.com/repos/acme/web/actions/secrets/public-key"))
        let secondDelay = try #require(second.delays.first)
        #expect(second.delays.count == 1)
        #expect(secondDelay <= .seconds(7) && secondDelay > .seconds(6), "\(secondDelay)")
        #expect(other.requests.count == 1)

        // Another host is not paused.
        let elsewhere = SleepRecorder()
        _ = try await Self.retrying(Self.sequence([200]), throttle: throttle, sleep: elsewhere).send(Self.get("https://gitlab.com/api/v4/projects/1/variables/X"))
        #expect(elsewhere.delays.isEmpty)
    }

    @Test("a 5xx backs off this request only; the host is not paused")
    func serverErrorDoesNotPauseHost() async throws {
        let throttle = HostThrottle()
        let sleeps = SleepRecorder()
        _ = try await Self.retrying(Self.sequence([503, 200]), throttle: throttle, sleep: sleeps).send(Self.get())
        #expect(sleeps.delays.count == 1)
        #expect(await throttle.wait(for: "api.github.com") == .zero)
    }

    @Test("a rate limit longer than maxRateLimitWait is returned at once, without waiting")
    func longRateLimitReturned() async throws {
        let inner = Self.sequence([429], headers: ["Retry-After": "3600"])
        let sleeps = SleepRecorder()
        let response = try await Self.retrying(inner, sleep: sleeps).send(Self.get())
        #expect(response.status == 429)
        #expect(response.header("retry-after") == "3600", "the caller can say when to retry")
        #expect(inner.requests.count == 1)
        #expect(sleeps.delays.isEmpty)
    }

    @Test("a write answered 4xx after an attempt that got a 5xx or no answer is flagged as possibly applied; after a 429 it is not")
    func uncertainAttemptIsRemembered() async throws {
        let put = HTTPRequest(method: "PUT", url: URL(string: "https://gitlab.example/api/v4/projects/1/variables/K")!)
        let afterServerError = try await Self.retrying(Self.sequence([502, 404]), sleep: SleepRecorder()).send(put)
        #expect(afterServerError.status == 404 && afterServerError.followsUncertainAttempt)

        let calls = Counter()
        let dropsFirst = FakeTransport { request in
            if calls.next() == 0 { throw TransportError.timedOut(request: request.summary, seconds: 30) }
            return HTTPResponse(status: 400)
        }
        let afterTimeout = try await Self.retrying(dropsFirst, sleep: SleepRecorder()).send(put)
        #expect(afterTimeout.status == 400 && afterTimeout.followsUncertainAttempt)

        let afterRefusal = try await Self.retrying(Self.sequence([429, 404], headers: ["Retry-After": "1"]), sleep: SleepRecorder()).send(put)
        #expect(afterRefusal.status == 404 && !afterRefusal.followsUncertainAttempt, "a 429 is a refusal: nothing was applied")
        let firstTry = try await Self.retrying(Self.sequence([404]), sleep: SleepRecorder()).send(put)
        #expect(!firstTry.followsUncertainAttempt)
    }

    @Test("HostThrottle keeps the longest pause and forgets an expired one")
    func hostThrottle() async {
        let throttle = HostThrottle()
        #expect(await throttle.wait(for: "a") == .zero)
        await throttle.pause("a", for: .seconds(30))
        await throttle.pause("a", for: .seconds(5))
        let wait = await throttle.wait(for: "a")
        #expect(wait > .seconds(29) && wait <= .seconds(30), "a shorter pause does not shorten a longer one")
        #expect(await throttle.wait(for: "b") == .zero)
        await throttle.pause("c", for: .zero)
        #expect(await throttle.wait(for: "c") == .zero)
    }
}
