import Foundation

/// When to try a request again and how long to wait first: a pure function of the outcome, the
/// attempt number and the time spent, so it is tested without a network or a clock.
///
/// Retried: dropped connections, timeouts, 500/502/503/504, 429, and GitHub's rate-limit 403s —
/// only for idempotent requests. Waits honour `Retry-After`, then GitHub's `x-ratelimit-reset`
/// (when `x-ratelimit-remaining` is 0), then GitLab's `RateLimit-Reset`; otherwise exponential
/// backoff with full jitter. Bounded in attempts and in total time.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// No retry starts once this much time has gone by since the first attempt.
    public var maxTotal: Duration
    /// A rate-limit wait longer than this is not waited out: the request fails and says when to retry.
    public var maxRateLimitWait: Duration

    public init(
        maxAttempts: Int = 4, baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(20),
        maxTotal: Duration = .seconds(120), maxRateLimitWait: Duration = .seconds(120)
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxTotal = maxTotal
        self.maxRateLimitWait = maxRateLimitWait
    }

    public static let standard = RetryPolicy()
    /// For tests and the demo: the same rules, waits short enough to run in a test.
    public static let fast = RetryPolicy(baseDelay: .milliseconds(20), maxDelay: .milliseconds(200), maxTotal: .seconds(20), maxRateLimitWait: .seconds(5))

    public enum Outcome: Sendable {
        case response(HTTPResponse)
        case failure(TransportError)
    }

    public enum Decision: Sendable, Equatable {
        case done
        /// Try again after this long; `rateLimited` when the service asked for the pause (the
        /// whole host waits, not just this request).
        case retry(after: Duration, reason: String, rateLimited: Bool)
    }

    /// - Parameters:
    ///   - attempt: 1 for the first try.
    ///   - elapsed: time since the first try started.
    ///   - now: the wall clock, for reset timestamps.
    ///   - random: a number in 0..<1 for the jitter.
    public func decide(
        _ outcome: Outcome, request: HTTPRequest, attempt: Int, elapsed: Duration, now: Date, random: Double
    ) -> Decision {
        guard request.isIdempotent, attempt < maxAttempts else { return .done }
        let reason: String
        var rateLimited = false
        var asked: Duration?
        switch outcome {
        case .failure(let error):
            reason = "\(error)"
        case .response(let response):
            switch response.status {
            case 500, 502, 503, 504:
                reason = "HTTP \(response.status)"
                asked = Self.retryAfter(response, now: now)
            case 429:
                reason = "HTTP 429 (rate limited)"
                rateLimited = true
                asked = Self.retryAfter(response, now: now) ?? Self.resetWait(response, now: now) ?? .seconds(60)
            case 403 where Self.isGitHubRateLimit(response):
                reason = "HTTP 403 (GitHub rate limit)"
                rateLimited = true
                // GitHub: Retry-After first, then the reset time, else at least one minute.
                asked = Self.retryAfter(response, now: now) ?? Self.resetWait(response, now: now) ?? .seconds(60)
            default:
                return .done
            }
        }
        let delay: Duration
        if let asked {
            guard asked <= maxRateLimitWait else { return .done }
            delay = asked
        } else {
            delay = backoff(attempt: attempt, random: random)
        }
        guard elapsed + delay <= maxTotal else { return .done }
        return .retry(after: delay, reason: reason, rateLimited: rateLimited)
    }

    /// Full jitter: uniform in 0...min(maxDelay, base × 2^(attempt-1)).
    func backoff(attempt: Int, random: Double) -> Duration {
        let ceiling = min(maxDelay, baseDelay * (1 << min(attempt - 1, 20)))
        return ceiling * max(0, min(random, 1))
    }

    /// `Retry-After` in seconds or as an HTTP date.
    static func retryAfter(_ response: HTTPResponse, now: Date) -> Duration? {
        guard let value = response.header("retry-after")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Int(value) { return .seconds(max(seconds, 0)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .seconds(max(Int(date.timeIntervalSince(now).rounded(.up)), 0))
    }

    /// GitHub's `x-ratelimit-reset` (epoch seconds) when the limit is spent, or GitLab's
    /// `RateLimit-Reset` (epoch seconds).
    static func resetWait(_ response: HTTPResponse, now: Date) -> Duration? {
        let reset: String?
        if response.header("x-ratelimit-remaining") == "0" {
            reset = response.header("x-ratelimit-reset")
        } else {
            reset = response.header("ratelimit-reset")
        }
        guard let reset, let epoch = TimeInterval(reset), epoch.isFinite else { return nil }
        // The header is the server's text: "1e300" or "inf" must not trap the Int conversion.
        // Clamped to 68 years, far above any wait `maxRateLimitWait` lets through.
        let wait = (epoch - now.timeIntervalSince1970).rounded(.up)
        return .seconds(Int(min(max(wait, 0), Double(Int32.max))))
    }

    /// A 403 is a rate limit, not a permission problem, when the limit is spent or GitHub says
    /// "secondary rate limit".
    static func isGitHubRateLimit(_ response: HTTPResponse) -> Bool {
        if response.header("x-ratelimit-remaining") == "0" { return true }
        if response.header("retry-after") != nil { return true }
        let message = String(decoding: response.body.prefix(2_000), as: UTF8.self).lowercased()
        return message.contains("rate limit")
    }
}
