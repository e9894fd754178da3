import Foundation
import Logging

/// The GitHub REST API as the targets use it: the headers GitHub requires, the API version pinned,
/// errors turned into `TargetError` with what to do about them.
public struct GitHubClient: Sendable {
    /// Pinned so that a new default version cannot change what we send or receive.
    static let apiVersion = "2022-11-28"

    private let transport: any HTTPTransport
    private let baseURL: URL
    private let credential: GitHubCredential
    private let timeout: Duration
    let publicKeys: PublicKeyCache

    /// Authenticates with a token (`providers.github.token`).
    public init(transport: any HTTPTransport, baseURL: URL, credential: Secret, timeout: Duration = .seconds(30)) {
        self.transport = transport
        self.baseURL = baseURL
        self.credential = .token(credential)
        self.timeout = timeout
        self.publicKeys = PublicKeyCache()
    }

    /// Authenticates as a GitHub App installation (`providers.github.app`).
    /// - Parameters:
    ///   - privateKeyPEM: the App's private key, read from its credential reference.
    ///   - now: the clock the JWT and the token's expiry are judged by.
    /// - Throws: `GitHubAppKeyError` when the key cannot be used; nothing was sent.
    public init(
        transport: any HTTPTransport, baseURL: URL, app: GitHubAppSettings, privateKeyPEM: Secret, now: @escaping @Sendable () -> Date,
        timeout: Duration = .seconds(30)
    ) throws(GitHubAppKeyError) {
        self.transport = transport
        self.baseURL = baseURL
        self.timeout = timeout
        let jwt = try GitHubAppJWT(appID: app.appID, privateKeyPEM: privateKeyPEM)
        let cache = InstallationTokenCache(settings: app, jwt: jwt, transport: transport, baseURL: baseURL, now: now)
        self.credential = .app(app, cache)
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
        var body: Data?
        if let json {
            body = Data(JSONLine.encode(json).utf8)
            headers["Content-Type"] = "application/json"
        }
        let started = ContinuousClock.now
        var request = HTTPRequest(method: method, url: url, headers: headers, body: body, timeout: timeout)
        var response: HTTPResponse
        do {
            request.headers["Authorization"] = try await bearer(target: target, logger: logger)
            response = try await transport.send(request)
            if response.status == 401, case .app(_, let cache) = credential {
                // The installation token was revoked or expired early: mint a new one, once. An
                // attempt before the 401 may have landed (no answer, 5xx): the resent write's
                // answer must not make that forgotten.
                let uncertain = response.followsUncertainAttempt
                await cache.invalidate()
                do {
                    request.headers["Authorization"] = try await bearer(target: target, logger: logger)
                } catch {
                    var failure = error
                    failure.mayHaveWritten = uncertain && request.isWrite
                    throw failure
                }
                response = try await transport.send(request)
                response.followsUncertainAttempt = response.followsUncertainAttempt || uncertain
            }
        } catch let error as TargetError {
            throw error
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

    /// The `Authorization` header value; for an App, mints the installation token on first use.
    private func bearer(target: Target, logger: Logger) async throws(TargetError) -> String {
        switch credential {
        case .token(let token):
            return token.withRevealed { "Bearer \($0)" }
        case .app(let settings, let cache):
            do {
                return try await cache.token(logger: logger).withRevealed { "Bearer \($0)" }
            } catch {
                throw TargetError(
                    provider: .github, target: target.label, operation: "get installation token", status: error.status,
                    message: error.message, hint: Self.appHint(error, settings: settings), mayHaveWritten: false
                )
            }
        }
    }

    private static func appHint(_ error: InstallationTokenError, settings: GitHubAppSettings) -> String? {
        let name = GitHubSettings.Authentication.app(settings).credentialName
        return switch error.status {
        case 401?: "\(name): GitHub refused the App's JWT; check the app id, that private_key is this App's current key, and this machine's clock"
        case 403?: "\(name): the App may not create installation tokens (suspended installation or App)"
        case 404?: "\(name): installation \(settings.installationID) is not an installation of App \(settings.appID)"
        default: nil
        }
    }

    /// Every item of a paged list (`GET path?per_page=100`, then each `Link: <…>; rel="next"`),
    /// found under `itemsKey` in each page. A list that cannot have been read whole (more items
    /// stated in `total_count` than read, a next link that repeats or leaves the API, more pages
    /// than `PageWalk.defaultLimit`) is an error: a caller deciding from part of it would decide wrong.
    /// https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api
    func listAll(_ path: String, itemsKey: String, target: Target, operation: String, logger: Logger) async throws(TargetError) -> [[String: Any]] {
        var walk = PageWalk(base: baseURL)
        var current = path + (path.contains("?") ? "&" : "?") + "per_page=100"
        var items: [[String: Any]] = []
        while true {
            if let problem = walk.visit(current) {
                throw TargetError(provider: .github, target: target.label, operation: operation, message: problem)
            }
            let response = try await send("GET", current, target: target, operation: operation, logger: logger)
            guard response.status == 200 else { throw failure(response, target: target, operation: operation) }
            guard let object = response.jsonObject(), let page = object[itemsKey] as? [[String: Any]] else {
                throw TargetError(provider: .github, target: target.label, operation: operation, status: 200, message: "the answer has no '\(itemsKey)' list")
            }
            items += page
            guard let link = LinkHeader.target(response.header("link"), relation: "next") else {
                if let total = object["total_count"] as? Int, items.count < total {
                    throw TargetError(
                        provider: .github, target: target.label, operation: operation, status: 200,
                        message: "the list states total_count \(total) but its pages hold \(items.count): it cannot be read whole"
                    )
                }
                return items
            }
            guard let next = walk.path(ofNext: link, after: current) else {
                throw TargetError(
                    provider: .github, target: target.label, operation: operation, status: 200,
                    message: "the next-page link leaves \(baseURL.host ?? "the API"); it is not followed with the credential"
                )
            }
            current = next
        }
    }

    /// Turns a non-success answer into an error that says what failed and what to do.
    func failure(_ response: HTTPResponse, target: Target, operation: String) -> TargetError {
        let message = Self.message(response)
        var hint: String?
        switch response.status {
        case 401:
            hint = credential.isApp
                ? "\(credential.name): GitHub refused the installation token, even freshly minted"
                : "\(credential.name) was rejected: it is missing, expired or revoked"
        case 403 where response.header("x-ratelimit-remaining") == "0" || message.lowercased().contains("rate limit"):
            hint = "GitHub rate limit; retry after \(response.header("retry-after").map { "\($0)s" } ?? "the reset time")"
        case 403:
            let needed = response.header("x-accepted-github-permissions").map { " (GitHub wants: \($0))" } ?? ""
            hint = "\(credential.name) lacks permission: \(Self.permissionNeeded(for: target))\(needed)"
        case 404:
            hint = "the organization, repository or environment does not exist, or \(credential.name) cannot see it (GitHub answers 404 instead of 403 for private resources)"
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
        case .githubOrganization(let secret):
            "organization secrets need 'Organization secrets: write'\(secret.visibility == .selected ? " and 'Metadata: read' on the selected repositories" : "") (fine-grained token or GitHub App) or the 'admin:org' scope (classic token)"
        case .gitlabVariable, .kubernetesSecret, .file:
            "not a GitHub target"
        case .azureDevOpsVariable:
            "not a GitHub target"
        }
    }

    private static func message(_ response: HTTPResponse) -> String {
        guard let object = response.jsonObject(), let text = object["message"] as? String else { return response.bodySnippet }
        return HTTPResponse.quote(text)
    }
}
