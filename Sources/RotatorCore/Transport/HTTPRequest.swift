import Foundation

/// One HTTP request as the clients build it. Headers that carry credentials are set here by the
/// client and never logged: the logging in `HTTPClientLogging` prints method, host, path and status only.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: Data?
    /// Every request has an explicit deadline; a hung server must not hang the nightly run.
    public var timeout: Duration
    /// Whether sending it twice does no harm, so the transport may retry it after a failure.
    /// GET, PUT and DELETE are; a POST that creates something is not, unless the caller says so.
    public var isIdempotent: Bool
    /// What logs and errors show instead of method, host and path, for a URL that is itself a
    /// secret (a Slack incoming webhook).
    public var displayName: String? = nil
    /// The PEM bundle of the CAs that may sign this server's certificate, instead of the system
    /// store: a provider's `ca_file:`, or the pod's service-account CA. Set by `TrustingTransport`.
    public var caFile: String? = nil

    public init(
        method: String, url: URL, headers: [String: String] = [:], body: Data? = nil, timeout: Duration = .seconds(30),
        isIdempotent: Bool? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.isIdempotent = isIdempotent ?? ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].contains(method)
    }

    /// True for methods that change something on the server (used by `plan`'s guarantee and by tests).
    public var isWrite: Bool { method != "GET" && method != "HEAD" }

    /// `PUT api.github.com/repos/acme/api/actions/secrets/X` — what a log line or error may show.
    public var summary: String {
        displayName ?? "\(method) \(url.host ?? "?")\(url.path)"
    }
}
