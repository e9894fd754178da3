/// A failure an emulator should answer instead of handling some requests normally.
///
/// Faults are checked before anything else (headers, authentication, routing), the way an outage
/// or a rate limiter in front of the real service would behave.
public struct InjectedFault: Sendable {
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
        times: Int = 1
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
