import Foundation
import Logging

/// The GitHub REST API as the targets use it: the headers GitHub requires, the API version pinned,
/// errors turned into `TargetError` with what to do about them.
public struct GitHubClient: Sendable {
    /// Pinned so that a new default version cannot change what we send or receive.
    static let apiVersion = "2022-11-28"

    private let transport: any HTTPTransport
    private let baseURL: URL
    private let credential: Secret
    private let timeout: Duration
    let publicKeys: PublicKeyCache

    public init(transport: any HTTPTransport, baseURL: URL, credential: Secret, timeout: Duration = .seconds(30)) {
        self.transport = transport
        self.baseURL = baseURL
        self.credential = credential
        self.timeout = timeout
        self.publicKeys = PublicKeyCache()
    }

    func send(
        _ method: String, _ path: String, json: [String: Any]? = nil, target: Target, operation: String, logger: Logger
    ) async throws(TargetError) -> HTTPResponse {
        guard let url = URLJoin.join(baseURL, path) else {
            throw TargetError(provider: .github, target: target.label, operation: operation, message: "cannot build a URL from \(baseURL)")
        }
        var headers = [
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": Self.apiVersion,
            "User-Agent": UserAgent.value,
        ]
        credential.withRevealed { headers["Authorization"] = "Bearer \($0)" }
        var body: Data?
        if let json {
            body = try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
            headers["Content-Type"] = "application/json"
        }
        let request = HTTPRequest(method: method, url: url, headers: headers, body: body, timeout: timeout)
        let started = ContinuousClock.now
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw TargetError(provider: .github, target: target.label, operation: operation, message: "\(error)")
        }
        logger.debug("http", metadata: [
            "http.request": "\(request.summary)",
            "http.status": "\(response.status)",
            "http.request_id": "\(response.header("x-github-request-id") ?? "-")",
            LogKeys.durationMS: "\(started.duration(to: .now).milliseconds)",
        ])
        return response
    }

    /// Turns a non-success answer into an error that says what failed and what to do.
    func failure(_ response: HTTPResponse, target: Target, operation: String) -> TargetError {
        let message = Self.message(response)
        var hint: String?
        switch response.status {
        case 401:
            hint = "providers.github.token was rejected: it is missing, expired or revoked"
        case 403 where response.header("x-ratelimit-remaining") == "0" || message.lowercased().contains("rate limit"):
            hint = "GitHub rate limit; retry after \(response.header("retry-after").map { "\($0)s" } ?? "the reset time")"
        case 403:
            let needed = response.header("x-accepted-github-permissions").map { " (GitHub wants: \($0))" } ?? ""
            hint = "providers.github.token lacks permission: \(Self.permissionNeeded(for: target))\(needed)"
        case 404:
            hint = "the repository or environment does not exist, or providers.github.token cannot see it (GitHub answers 404 instead of 403 for private resources)"
        case 422:
            hint = "GitHub refused the value; see its message"
        default:
            break
        }
        return TargetError(provider: .github, target: target.label, operation: operation, status: response.status, message: message, hint: hint)
    }

    static func permissionNeeded(for target: Target) -> String {
        switch target.kind {
        case .githubRepository:
            "repository secrets need the 'Secrets: write' permission (fine-grained token or GitHub App) or the 'repo' scope (classic token)"
        case .githubEnvironment:
            "environment secrets need 'Secrets: write' and 'Environments: write' (fine-grained token or GitHub App) or the 'repo' scope (classic token)"
        }
    }

    private static func message(_ response: HTTPResponse) -> String {
        guard let object = response.jsonObject(), let text = object["message"] as? String else { return response.bodySnippet }
        return Redactor.scrub(text.replacingOccurrences(of: "\n", with: " "))
    }
}
