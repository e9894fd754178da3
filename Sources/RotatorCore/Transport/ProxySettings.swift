/// The proxy a request goes through, from the standard variables, read once when the transport is
/// made. libcurl would read them itself on every request; reading them here makes the choice
/// explicit (and testable without touching the process environment) and settles the spellings:
/// `https_proxy` before `HTTPS_PROXY`, `http_proxy` lower-case only (an upper-case `HTTP_PROXY`
/// can be set by a CGI client through the `Proxy:` header, "httpoxy"), `all_proxy`/`ALL_PROXY`
/// for either scheme, `no_proxy` before `NO_PROXY`.
struct ProxySettings: Sendable, Equatable {
    var https: String?
    var http: String?
    /// libcurl's `CURLOPT_NOPROXY` syntax: comma-separated host names, domain suffixes, IP
    /// addresses and CIDR ranges, or `*` for every host.
    var noProxy: String?

    init(https: String? = nil, http: String? = nil, noProxy: String? = nil) {
        self.https = https
        self.http = http
        self.noProxy = noProxy
    }

    init(environment: [String: String]) {
        func first(_ names: String...) -> String? {
            names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        }
        self.init(
            https: first("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"),
            http: first("http_proxy", "all_proxy", "ALL_PROXY"),
            noProxy: first("no_proxy", "NO_PROXY")
        )
    }

    /// The proxy URL for a request of `scheme`, or "" for none (which also stops libcurl from
    /// consulting the environment itself).
    func proxy(forScheme scheme: String?) -> String {
        (scheme == "https" ? https : http) ?? ""
    }
}
