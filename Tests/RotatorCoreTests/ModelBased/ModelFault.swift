/// A failure the fault-injecting transport puts on one request. "Before" faults never reach the
/// emulator; "after" faults are applied by it and then lose or replace the answer, so the client
/// cannot know the request took effect.
enum ModelFault: Sendable, CaseIterable, CustomStringConvertible {
    case serverErrorBefore
    case serverErrorAfter
    case timeoutBefore
    case timeoutAfter
    case resetBefore
    case resetAfter
    /// 429 with `Retry-After`, before.
    case tooManyRequests
    /// GitHub's secondary rate limit: 403 with `Retry-After` and the documented message
    /// (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits);
    /// on any other host it becomes a 429.
    case secondaryRateLimit

    /// Whether the emulator applies the request before the fault replaces the answer.
    var applies: Bool {
        switch self {
        case .serverErrorAfter, .timeoutAfter, .resetAfter: true
        default: false
        }
    }

    var description: String {
        switch self {
        case .serverErrorBefore: "5xx before applying"
        case .serverErrorAfter: "5xx after applying"
        case .timeoutBefore: "timeout before applying"
        case .timeoutAfter: "timeout after applying"
        case .resetBefore: "connection reset before applying"
        case .resetAfter: "connection reset after applying"
        case .tooManyRequests: "429 Retry-After"
        case .secondaryRateLimit: "GitHub secondary rate limit 403"
        }
    }
}
