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
        if token.expiresAt == nil {
            // Envshed's own expiry beats now + expires_in_days. The token exists already, so a list
            // that cannot be read leaves the expiry unknown rather than failing the create.
            let listed = try? await listObjects(logger: logger).first { (EnvshedAPIAssumptions.string($0, "id") ?? EnvshedAPIAssumptions.string($0, "tokenId")) == token.id }
            token.expiresAt = listed.flatMap(EnvshedAPIAssumptions.decodeToken)?.expiresAt
        }
        return CreatedServiceToken(token: token, value: Secret(value))
    }

    /// The org's live service tokens (revoked ones left out), without values, every page read.
    /// - Throws: `EnvshedError.incompleteList` when the pages cannot all be read.
    public func listTokens(logger: Logger) async throws(EnvshedError) -> [ServiceToken] {
        try await listObjects(logger: logger).filter { !EnvshedAPIAssumptions.isRevoked($0) }.compactMap(EnvshedAPIAssumptions.decodeToken)
    }

    /// Revokes a token.
    /// - Returns: false when Envshed said the token was already gone and its list confirms it.
    /// - Throws: `EnvshedError.revocationUnproven` for a "not found" that the list contradicts.
    @discardableResult
    public func revoke(tokenID: String, logger: Logger) async throws(EnvshedError) -> Bool {
        let operation = "revoke service token \(tokenID)"
        let response = try await send(EnvshedAPIAssumptions.revokeMethod, EnvshedAPIAssumptions.revokePath(org: org, tokenID: tokenID), body: nil, token: credential, operation: operation, logger: logger)
        if EnvshedAPIAssumptions.revokeSuccess.contains(response.status) { return true }
        guard EnvshedAPIAssumptions.revokeMaybeGone.contains(response.status) else {
            throw EnvshedError.status(operation: operation, status: response.status, message: EnvshedAPIAssumptions.errorMessage(response))
        }
        let listed = try await listObjects(logger: logger).first { (EnvshedAPIAssumptions.string($0, "id") ?? EnvshedAPIAssumptions.string($0, "tokenId")) == tokenID }
        if let listed, !EnvshedAPIAssumptions.isRevoked(listed) {
            throw EnvshedError.revocationUnproven(tokenID: tokenID, status: response.status, unknownRoute: EnvshedAPIAssumptions.looksLikeUnknownRoute(response))
        }
        return false
    }

    /// Every token object of every page, revoked ones included.
    private func listObjects(logger: Logger) async throws(EnvshedError) -> [[String: Any]] {
        let operation = "list service tokens"
        var walk = PageWalk(base: baseURL)
        var path = EnvshedAPIAssumptions.listPath(org: org)
        var objects: [[String: Any]] = []
        var seen: Set<String> = []
        while true {
            if let problem = walk.visit(path) { throw EnvshedError.incompleteList(operation: operation, problem: problem) }
            let response = try await send(EnvshedAPIAssumptions.listMethod, path, body: nil, token: credential, operation: operation, logger: logger)
            guard EnvshedAPIAssumptions.listSuccess.contains(response.status) else {
                throw EnvshedError.status(operation: operation, status: response.status, message: EnvshedAPIAssumptions.errorMessage(response))
            }
            guard let json = try? JSONSerialization.jsonObject(with: response.body),
                  let pageObjects = EnvshedAPIAssumptions.tokenObjects(in: json)
            else {
                throw EnvshedError.malformedAnswer(operation: operation, problem: "expected a list of tokens")
            }
            for object in pageObjects {
                // A token on two pages means the list moved under the walk: something may have been skipped.
                if let id = EnvshedAPIAssumptions.string(object, "id"), !seen.insert(id).inserted {
                    throw EnvshedError.incompleteList(operation: operation, problem: "token \(id) is listed on two pages, so the list changed while it was read")
                }
            }
            objects += pageObjects
            let page = EnvshedAPIAssumptions.listPage(json, linkHeader: response.header("link"))
            guard let next = page.next else {
                if page.hasMore {
                    throw EnvshedError.incompleteList(operation: operation, problem: "the answer says more tokens follow but not where to find them")
                }
                if let total = page.total, objects.count < total {
                    throw EnvshedError.incompleteList(operation: operation, problem: "the list states \(total) tokens but its pages hold \(objects.count)")
                }
                return objects
            }
            let nextPath: String?
            if case .link(let link) = next {
                nextPath = walk.path(ofNext: link, after: path)
            } else {
                nextPath = EnvshedAPIAssumptions.listPath(org: org, after: next)
            }
            guard let nextPath else {
                throw EnvshedError.incompleteList(operation: operation, problem: "the next-page link leaves \(baseURL.host ?? "the API"); it is not followed with the credential")
            }
            path = nextPath
        }
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
