/// A failure an emulator should answer instead of handling some requests normally.
///
/// Faults are checked before anything else (headers, authentication, routing), the way an outage
/// or a rate limiter in front of the real service would behave.
public struct InjectedFault: Sendable {
    /// What the emulator does with a matching request.
    public enum Behavior: Sendable {
        /// Answers `status`, `body` and `headers` instead of handling the request.
        case answer
        /// Waits this long, then handles the request normally (a slow service).
        case delay(Duration)
        /// Never answers (until the emulator stops): the client's timeout must fire.
        case hang
        /// Sends the status line and headers, then closes the connection before the body.
        case dropConnection
        /// Handles the request normally (it takes effect), then drops the connection instead of
        /// answering: the client cannot know whether it worked.
        case applyThenDrop
        /// Handles the request normally (it takes effect), then answers `status`, `headers` and
        /// `body` instead of the real answer: the client is told it failed although it worked.
        case applyThenAnswer
    }

    /// The HTTP method to match (case-insensitive), or nil for any method.
    public let method: String?
    /// A substring of the raw (percent-encoded) path to match, or nil for any path.
    public let pathContains: String?
    /// The status to answer.
    public let status: Int
    /// The body to answer verbatim, or nil for an error body in the service's own format.
    public let body: String?
    /// Headers added to the answer (for example `Retry-After`); they override the service's own.
    public let headers: [String: String]
    /// How many matching requests pass through untouched before the fault starts.
    public let skip: Int
    /// How many matching requests, after the skipped ones, get the fault.
    public let times: Int
    public let behavior: Behavior

    /// - Parameters:
    ///   - method: The HTTP method to match, or nil for any.
    ///   - pathContains: A substring of the raw path to match, or nil for any.
    ///   - status: The status to answer, 100...599.
    ///   - body: The body to answer, or nil for the service's error format.
    ///   - headers: Headers to add to the answer.
    ///   - skip: Matching requests to let through first.
    ///   - times: Matching requests to fail after those.
    public init(
        method: String? = nil,
        pathContains: String? = nil,
        status: Int,
        body: String? = nil,
        headers: [String: String] = [:],
        skip: Int = 0,
        times: Int = 1,
        behavior: Behavior = .answer
    ) {
        precondition((100...599).contains(status), "An injected fault needs an HTTP status in 100...599")
        precondition(skip >= 0 && times >= 0, "skip and times cannot be negative")
        self.method = method
        self.pathContains = pathContains
        self.status = status
        self.body = body
        self.headers = headers
        self.skip = skip
        self.times = times
        self.behavior = behavior
    }

    /// A slow answer: matching requests are handled normally after `duration`.
    public static func delay(
        _ duration: Duration, method: String? = nil, pathContains: String? = nil, skip: Int = 0, times: Int = 1
    ) -> InjectedFault {
        InjectedFault(method: method, pathContains: pathContains, status: 200, skip: skip, times: times, behavior: .delay(duration))
    }

    /// No answer at all for matching requests.
    public static func hang(method: String? = nil, pathContains: String? = nil, skip: Int = 0, times: Int = 1) -> InjectedFault {
        InjectedFault(method: method, pathContains: pathContains, status: 200, skip: skip, times: times, behavior: .hang)
    }

    /// The connection closes after the headers, before the body.
    public static func dropConnection(method: String? = nil, pathContains: String? = nil, skip: Int = 0, times: Int = 1) -> InjectedFault {
        InjectedFault(method: method, pathContains: pathContains, status: 200, skip: skip, times: times, behavior: .dropConnection)
    }

    /// The request takes effect, but its answer is lost.
    public static func applyThenDrop(method: String? = nil, pathContains: String? = nil, skip: Int = 0, times: Int = 1) -> InjectedFault {
        InjectedFault(method: method, pathContains: pathContains, status: 200, skip: skip, times: times, behavior: .applyThenDrop)
    }

    /// The request takes effect, but the client is answered `status` (a 5xx, say) instead.
    public static func applyThenAnswer(
        _ status: Int, method: String? = nil, pathContains: String? = nil, headers: [String: String] = [:], skip: Int = 0, times: Int = 1
    ) -> InjectedFault {
        InjectedFault(method: method, pathContains: pathContains, status: status, headers: headers, skip: skip, times: times, behavior: .applyThenAnswer)
    }

    /// A 200 whose body is not valid JSON.
    public static func malformedJSON(method: String? = nil, pathContains: String? = nil, skip: Int = 0, times: Int = 1) -> InjectedFault {
        InjectedFault(method: method, pathContains: pathContains, status: 200, body: #"{"secrets": {"A": "b", "#, skip: skip, times: times)
    }

    func matches(method: String, path: String) -> Bool {
        if let expected = self.method, expected.uppercased() != method.uppercased() {
            return false
        }
        if let fragment = pathContains, !path.contains(fragment) {
            return false
        }
        return true
    }
}
