import Foundation
import Logging

/// The run's GitHub App installation token: minted on first use, shared by every target
/// (single-flight: concurrent requests wait for the same mint), and minted again when less than
/// five minutes of its hour remain or after GitHub refused it.
actor InstallationTokenCache {
    /// A token younger than this margin before its expiry is replaced rather than used.
    static let refreshMargin: TimeInterval = 5 * 60

    private enum State {
        case empty
        case minting(Task<InstallationToken, any Error>)
        case ready(InstallationToken)
    }

    private let settings: GitHubAppSettings
    private let jwt: GitHubAppJWT
    private let transport: any HTTPTransport
    private let baseURL: URL
    private let now: @Sendable () -> Date
    private var state = State.empty

    init(settings: GitHubAppSettings, jwt: GitHubAppJWT, transport: any HTTPTransport, baseURL: URL, now: @escaping @Sendable () -> Date) {
        self.settings = settings
        self.jwt = jwt
        self.transport = transport
        self.baseURL = baseURL
        self.now = now
    }

    /// - Throws: `InstallationTokenError` when GitHub would not issue one.
    func token(logger: Logger) async throws(InstallationTokenError) -> Secret {
        switch state {
        case .ready(let current) where current.expiresAt.timeIntervalSince(now()) > Self.refreshMargin:
            return current.token
        case .minting(let task):
            return try await Self.value(of: task).token
        case .ready, .empty:
            let request = makeRequest
            let task = Task { try await request(logger) }
            state = .minting(task)
            do {
                let minted = try await Self.value(of: task)
                state = .ready(minted)
                return minted.token
            } catch {
                state = .empty
                throw error
            }
        }
    }

    /// Forgets the token after GitHub answered 401 to it: the next request mints a new one.
    func invalidate() {
        if case .ready = state { state = .empty }
    }

    private static func value(of task: Task<InstallationToken, any Error>) async throws(InstallationTokenError) -> InstallationToken {
        do {
            return try await task.value
        } catch let error as InstallationTokenError {
            throw error
        } catch {
            throw InstallationTokenError(status: nil, message: "\(error)")
        }
    }

    /// The mint, as a closure that holds no reference to the actor's mutable state.
    private var makeRequest: @Sendable (Logger) async throws -> InstallationToken {
        let settings = settings
        let jwt = jwt
        let transport = transport
        let baseURL = baseURL
        let now = now
        return { logger in
            try await Self.mint(settings: settings, jwt: jwt, transport: transport, baseURL: baseURL, now: now, logger: logger)
        }
    }

    /// `POST /app/installations/{id}/access_tokens` with the App's JWT → `201 {token, expires_at}`.
    private static func mint(
        settings: GitHubAppSettings, jwt: GitHubAppJWT, transport: any HTTPTransport, baseURL: URL, now: @Sendable () -> Date, logger: Logger
    ) async throws(InstallationTokenError) -> InstallationToken {
        let path = "/app/installations/\(settings.installationID)/access_tokens"
        guard let url = URLJoin.join(baseURL, path) else {
            throw InstallationTokenError(status: nil, message: "cannot build a URL from \(baseURL)")
        }
        let signed: String
        do {
            signed = try jwt.token(now: now())
        } catch {
            throw InstallationTokenError(status: nil, message: error.reason)
        }
        let request = HTTPRequest(method: "POST", url: url, headers: [
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": GitHubClient.apiVersion,
            "User-Agent": UserAgent.value,
            "Authorization": "Bearer \(signed)",
        ])
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw InstallationTokenError(status: nil, message: "\(error)")
        }
        logger.debug("http", metadata: ["http.request": "\(request.summary)", "http.status": "\(response.status)"])
        guard response.status == 201 || response.status == 200 else {
            let message = (response.jsonObject()?["message"] as? String).map(HTTPResponse.quote) ?? response.bodySnippet
            throw InstallationTokenError(status: response.status, message: message)
        }
        guard let object = response.jsonObject(), let token = object["token"] as? String, !token.isEmpty,
              let expiry = (object["expires_at"] as? String).flatMap(Timestamp.parse)
        else {
            throw InstallationTokenError(status: response.status, message: "the answer has no token and expires_at")
        }
        return InstallationToken(token: Secret(token), expiresAt: expiry)
    }
}

/// GitHub would not issue an installation token.
struct InstallationTokenError: Error, CustomStringConvertible, Sendable {
    var status: Int?
    var message: String

    var description: String {
        status.map { "HTTP \($0): \(message)" } ?? message
    }
}
