import Foundation
import Logging

/// GitLab's REST API (v4) as the variable targets use it: the token in `PRIVATE-TOKEN` or as a
/// bearer, JSON bodies, errors turned into `TargetError` that say which credential lacks which role.
public struct GitLabClient: Sendable {
    private let transport: any HTTPTransport
    private let baseURL: URL
    private let credential: Secret
    private let authentication: GitLabSettings.Authentication
    /// The run's check that no two targets name one variable; nil where nothing is written.
    let collisions: GitLabTargetCollisions?

    public init(
        transport: any HTTPTransport, baseURL: URL, credential: Secret, authentication: GitLabSettings.Authentication,
        collisions: GitLabTargetCollisions? = nil
    ) {
        self.transport = transport
        self.baseURL = baseURL
        self.credential = credential
        self.authentication = authentication
        self.collisions = collisions
    }

    /// - Parameter path: already percent-encoded, query included.
    func send(
        _ method: String, _ path: String, json: [String: Any]? = nil, target: Target, operation: String, logger: Logger
    ) async throws(TargetError) -> HTTPResponse {
        guard let url = URLJoin.join(baseURL, path) else {
            throw TargetError(provider: .gitlab, target: target.label, operation: operation, message: "cannot build a URL from \(baseURL)")
        }
        var headers = ["Accept": "application/json", "User-Agent": UserAgent.value]
        switch authentication {
        case .privateToken: credential.withRevealed { headers["PRIVATE-TOKEN"] = $0 }
        case .bearer: credential.withRevealed { headers["Authorization"] = "Bearer \($0)" }
        }
        var body: Data?
        if let json {
            body = Data(JSONLine.encode(json).utf8)
            headers["Content-Type"] = "application/json"
        }
        let request = HTTPRequest(method: method, url: url, headers: headers, body: body)
        let started = ContinuousClock.now
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            // No answer: a write may have been applied.
            throw TargetError(provider: .gitlab, target: target.label, operation: operation, message: "\(error)", mayHaveWritten: request.isWrite)
        }
        logger.debug("http", metadata: [
            "http.request": "\(request.summary)",
            "http.status": "\(response.status)",
            "http.request_id": "\(response.header("x-request-id") ?? "-")",
            LogKeys.durationMS: "\(started.duration(to: .now).milliseconds)",
        ])
        return response
    }

    /// Every item of a paged list: `GET path?per_page=100`, then the `Link: <…>; rel="next"` page,
    /// or the `x-next-page` one (https://docs.gitlab.com/api/rest/#pagination). A list that cannot
    /// have been read whole (fewer items than `x-total`, a next page that repeats or leaves the
    /// API, more pages than `PageWalk.defaultLimit`) is an error, never a shorter answer.
    func listAll(_ path: String, target: Target, variable: GitLabVariable, operation: String, logger: Logger) async throws(TargetError) -> [[String: Any]] {
        var walk = PageWalk(base: baseURL)
        var current = path + "?per_page=100"
        var items: [[String: Any]] = []
        func incomplete(_ problem: String) -> TargetError {
            TargetError(provider: .gitlab, target: target.label, operation: operation, status: 200, message: problem)
        }
        while true {
            if let problem = walk.visit(current) { throw incomplete(problem) }
            let response = try await send("GET", current, target: target, operation: operation, logger: logger)
            guard response.status == 200 else { throw failure(response, target: target, variable: variable, operation: operation) }
            guard let page = (try? JSONSerialization.jsonObject(with: response.body)) as? [[String: Any]] else {
                throw incomplete("the answer is not a list")
            }
            items += page
            if let link = LinkHeader.target(response.header("link"), relation: "next") {
                guard let next = walk.path(ofNext: link, after: current) else {
                    throw incomplete("the next-page link leaves \(baseURL.host ?? "the API"); it is not followed with the credential")
                }
                current = next
            } else if let number = response.header("x-next-page").flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
                current = path + "?per_page=100&page=\(number)"
            } else {
                // GitLab leaves x-total out above 10,000 items; then the walk's end is all there is.
                if let total = response.header("x-total").flatMap({ Int($0) }), items.count < total {
                    throw incomplete("the list states x-total \(total) but its pages hold \(items.count): it cannot be read whole")
                }
                return items
            }
        }
    }

    /// Turns a non-success answer into an error that says what failed and what to do.
    func failure(_ response: HTTPResponse, target: Target, variable: GitLabVariable, operation: String) -> TargetError {
        let message = Self.message(response)
        let credential = "providers.gitlab.token"
        var hint: String?
        switch response.status {
        case 400 where message.contains("value is invalid") && variable.masked:
            hint = "the token does not meet GitLab's masking rules: \(GitLabMaskingRules.summary(raw: variable.raw))"
        case 400 where message.contains("has already been taken"):
            hint = "a variable with this key and environment scope appeared while writing; the next run updates it"
        case 401:
            hint = "\(credential) was rejected: it is missing, expired or revoked"
                + (authentication == .bearer ? " (OAuth access tokens last 2 hours)" : "")
        case 403:
            hint = "\(credential) lacks permission: \(Self.roleNeeded(for: variable)), and the token needs the api scope"
        case 404:
            hint = "\(Self.ownerDescription(variable)) does not exist, or \(credential) cannot see it"
        case 409:
            hint = "several variables share this key; the bot always filters by environment_scope, so check the scope in the plan"
        case 429:
            let retry = response.header("retry-after").map { "\($0)s" } ?? response.header("ratelimit-resettime") ?? "a while"
            hint = "GitLab rate limit (\(response.header("ratelimit-name") ?? "throttled")); retry after \(retry)"
        default:
            break
        }
        return TargetError(
            provider: .gitlab, target: target.label, operation: operation, status: response.status, message: message, hint: hint,
            mayHaveWritten: response.status >= 500 || response.followsUncertainAttempt
        )
    }

    static func roleNeeded(for variable: GitLabVariable) -> String {
        switch variable.owner {
        case .project(let path): "project variables need the Maintainer role on \(path)"
        case .group(let path): "group variables need the Owner role on \(path)"
        }
    }

    static func ownerDescription(_ variable: GitLabVariable) -> String {
        switch variable.owner {
        case .project(let path): "the project \(path)"
        case .group(let path): "the group \(path)"
        }
    }

    /// GitLab's `message` is a string (`404 Project Not Found`) or, for validation errors, an
    /// object of field → messages (`{"value": ["is invalid"]}`), rendered as `value is invalid`.
    private static func message(_ response: HTTPResponse) -> String {
        guard let object = response.jsonObject() else { return response.bodySnippet }
        if let text = object["message"] as? String ?? object["error"] as? String {
            return HTTPResponse.quote(text)
        }
        if let fields = object["message"] as? [String: Any] {
            let parts = fields.keys.sorted().map { key -> String in
                let messages = (fields[key] as? [String]) ?? [(fields[key] as? String) ?? ""]
                return "\(key) \(messages.joined(separator: ", "))"
            }
            return HTTPResponse.quote(parts.joined(separator: "; "))
        }
        return response.bodySnippet
    }
}
