import Foundation
import Logging

/// Talks to Envshed: create, list and revoke service tokens with the bot's own credential, and
/// pull secrets with a service token to prove it works. Paths and field names come from
/// `EnvshedAPIAssumptions`.
public struct EnvshedClient: Sendable {
    private let transport: any HTTPTransport
    private let baseURL: URL
    private let org: String
    private let credential: Secret
    private let timeout: Duration

    public init(transport: any HTTPTransport, baseURL: URL, org: String, credential: Secret, timeout: Duration = .seconds(30)) {
        self.transport = transport
        self.baseURL = baseURL
        self.org = org
        self.credential = credential
        self.timeout = timeout
    }

    /// Creates a service token.
    /// - Returns: the token's metadata and its value, which Envshed shows only this once.
    public func create(_ request: NewServiceToken, logger: Logger) async throws(EnvshedError) -> CreatedServiceToken {
        let operation = "create service token"
        let body = Data(JSONLine.encode(EnvshedAPIAssumptions.createBody(request)).utf8)
        let response = try await send(EnvshedAPIAssumptions.createMethod, EnvshedAPIAssumptions.createPath(org: org), body: body, token: credential, operation: operation, logger: logger)
        guard EnvshedAPIAssumptions.createSuccess.contains(response.status) else {
            throw EnvshedError.status(operation: operation, status: response.status, message: EnvshedAPIAssumptions.errorMessage(response))
        }
        // The body holds the token value: it is decoded here and never quoted in an error.
        guard let object = response.jsonObject() else {
            throw EnvshedError.malformedAnswer(operation: operation, problem: "the answer is not a JSON object")
        }
        let wrapped = EnvshedAPIAssumptions.createWrapperKeys.lazy.compactMap { object[$0] as? [String: Any] }.first ?? object
        guard var token = EnvshedAPIAssumptions.decodeToken(wrapped) else {
            throw EnvshedError.malformedAnswer(operation: operation, problem: "no token id or name in the answer")
        }
        let valueField = EnvshedAPIAssumptions.tokenValueFields.lazy.compactMap { wrapped[$0] as? String }.first { !$0.isEmpty }
        guard let value = valueField else {
            throw EnvshedError.malformedAnswer(operation: operation, problem: "no token value in the answer")
        }
        if token.scope == nil { token.scope = request.scope }
        if token.permission == nil { token.permission = request.permission }
        return CreatedServiceToken(token: token, value: Secret(value))
    }

    /// The org's live service tokens (revoked ones left out), without values.
    public func listTokens(logger: Logger) async throws(EnvshedError) -> [ServiceToken] {
        let operation = "list service tokens"
        let response = try await send(EnvshedAPIAssumptions.listMethod, EnvshedAPIAssumptions.listPath(org: org), body: nil, token: credential, operation: operation, logger: logger)
        guard EnvshedAPIAssumptions.listSuccess.contains(response.status) else {
            throw EnvshedError.status(operation: operation, status: response.status, message: EnvshedAPIAssumptions.errorMessage(response))
        }
        guard let json = try? JSONSerialization.jsonObject(with: response.body),
              let objects = EnvshedAPIAssumptions.tokenObjects(in: json)
        else {
            throw EnvshedError.malformedAnswer(operation: operation, problem: "expected a list of tokens")
        }
        return objects.filter { !EnvshedAPIAssumptions.isRevoked($0) }.compactMap(EnvshedAPIAssumptions.decodeToken)
    }

    /// Revokes a token. An unknown or already revoked id counts as done.
    /// - Returns: false when Envshed said the token was already gone.
    @discardableResult
    public func revoke(tokenID: String, logger: Logger) async throws(EnvshedError) -> Bool {
        let operation = "revoke service token \(tokenID)"
        let response = try await send(EnvshedAPIAssumptions.revokeMethod, EnvshedAPIAssumptions.revokePath(org: org, tokenID: tokenID), body: nil, token: credential, operation: operation, logger: logger)
        if EnvshedAPIAssumptions.revokeSuccess.contains(response.status) { return true }
        if EnvshedAPIAssumptions.revokeAlreadyGone.contains(response.status) { return false }
        throw EnvshedError.status(operation: operation, status: response.status, message: EnvshedAPIAssumptions.errorMessage(response))
    }

    /// Pulls an environment's secrets with `token` and keeps only the key names.
    public func pull(project: String, environment: String, with token: Secret, logger: Logger) async throws(EnvshedError) -> PullResult {
        let operation = "test pull of \(project)/\(environment)"
        let path = EnvshedAPIAssumptions.pullPath(org: org, project: project, environment: environment)
        let response = try await send(EnvshedAPIAssumptions.pullMethod, path, body: nil, token: token, operation: operation, logger: logger)
        guard response.status == 200 else {
            throw EnvshedError.status(
                operation: operation, status: response.status, message: EnvshedAPIAssumptions.errorMessage(response),
                credential: "the new token"
            )
        }
        guard let object = response.jsonObject(), let secrets = object["secrets"] as? [String: Any] else {
            throw EnvshedError.malformedAnswer(operation: operation, problem: "no 'secrets' object in the answer")
        }
        let undecryptable = (object["decryptErrors"] as? [String]) ?? []
        return PullResult(keys: secrets.keys.sorted(), version: object["version"] as? Int, undecryptableKeys: undecryptable.sorted())
    }

    private func send(
        _ method: String, _ path: String, body: Data?, token: Secret, operation: String, logger: Logger
    ) async throws(EnvshedError) -> HTTPResponse {
        guard let url = URLJoin.join(baseURL, path) else {
            throw EnvshedError.transport(operation: operation, underlying: "cannot build a URL from \(baseURL) and \(path)")
        }
        var headers = [
            "Accept": "application/json",
            "User-Agent": UserAgent.value,
        ]
        token.withRevealed { headers["Authorization"] = "Bearer \($0)" }
        if body != nil { headers["Content-Type"] = "application/json" }
        let request = HTTPRequest(method: method, url: url, headers: headers, body: body, timeout: timeout)
        let started = ContinuousClock.now
        do {
            let response = try await transport.send(request)
            logger.debug("http", metadata: [
                "http.request": "\(request.summary)",
                "http.status": "\(response.status)",
                LogKeys.durationMS: "\(started.duration(to: .now).milliseconds)",
            ])
            return response
        } catch {
            throw EnvshedError.transport(operation: operation, underlying: "\(error)")
        }
    }
}
