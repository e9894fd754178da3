import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization
import _CryptoExtras

/// A loopback emulator of GitHub's REST API for Actions secrets (API version 2022-11-28), repository,
/// environment and organization scopes: public keys, sealed-box `PUT`s, and metadata reads; the
/// repository look-up (`GET /repos/{owner}/{repo}`); and GitHub App authentication (an RS256 JWT
/// exchanged for an installation token at `POST /app/installations/{id}/access_tokens`).
///
/// It follows GitHub's documented behaviour and error bodies, decrypts every value with the scope's
/// own key pair (so a value sealed for the wrong key or scope is refused, as GitHub does), and is
/// stricter than GitHub about request headers so that the client is proven to send them.
public final class GitHubEmulator: ControllableEmulator {
    private struct State {
        /// Keyed by the lowercased `owner/repo`: GitHub matches repository names case-insensitively.
        var repositories: [String: GitHubRepository] = [:]
        /// Every key id handed out, so that no two key pairs share one.
        var issuedKeyIDs: Set<String> = []
        var rateLimitRemaining = GitHubEmulator.rateLimit
        var writes: [GitHubSecretWrite] = []
        /// Keyed by the lowercased login.
        var organizations: [String: GitHubOrganization] = [:]
        var apps: [Int: GitHubApp] = [:]
        var installationTokens: [GitHubInstallationToken] = []
    }

    /// A secret scope as named in a path.
    private struct ScopeAddress {
        let owner: String
        let repo: String
        /// Percent-decoded environment name, or nil for the repository scope.
        let environment: String?

        var fullName: String { "\(owner)/\(repo)" }
        var repositoryKey: String { fullName.lowercased() }
        var environmentKey: String? { environment?.lowercased() }
    }

    private enum Route {
        case publicKey(ScopeAddress)
        case secret(ScopeAddress, name: String)
        case organizationPublicKey(org: String)
        case organizationSecret(org: String, name: String)
        case organizationSecretRepositories(org: String, name: String)
        case repository(owner: String, repo: String)
        case installationToken(installationID: String)
    }

    private static let apiVersion = "2022-11-28"
    private static let mediaType = "application/vnd.github+json"
    private static let documentationURL = "https://docs.github.com/rest"
    private static let rateLimit = 5000
    /// GitHub's default page size for lists; `per_page` may ask for up to 100.
    private static let defaultPerPage = 30
    /// "Each secret is at most 48 KB" (GitHub's Actions secrets reference); checked on the plaintext.
    private static let maximumSecretSize = 48 * 1024
    private static let encryptedValuePattern =
        "/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/"
    private static let invalidNameMessage =
        "Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_). "
        + "Spaces are not allowed. Must start with a letter ([a-z], [A-Z]) or underscores (_)."
    private static let improperlyEncryptedMessage =
        "Bad request - validation failed due to an improperly encrypted secret"

    private let acceptedTokens: Set<String>
    /// The end of the current rate-limit window, in epoch seconds; the emulator lives in one window.
    private let rateLimitReset: Int
    private let state = Mutex(State())
    public let harness = EmulatorHarness()

    /// - Parameter acceptedTokens: The tokens that authenticate (a PAT, an installation token…).
    public init(acceptedTokens: Set<String>) {
        self.acceptedTokens = acceptedTokens
        self.rateLimitReset = Int(Date().timeIntervalSince1970) + 3600
    }

    // MARK: - Set-up

    /// Adds a repository and its environments, each scope with a fresh key pair and key id.
    ///
    /// - Parameters:
    ///   - fullName: `owner/repo`.
    ///   - id: The repository's numeric id.
    ///   - environments: Names of the repository's deployment environments.
    public func addRepository(_ fullName: String, id: Int, environments: [String] = []) {
        let parts = fullName.split(separator: "/", omittingEmptySubsequences: false)
        precondition(
            parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty,
            "addRepository: '\(fullName)' is not owner/repo"
        )
        state.withLock { state in
            var scopes: [String: GitHubSecretScope] = [:]
            for environment in environments {
                scopes[environment.lowercased()] = Self.makeScope(&state)
            }
            state.repositories[fullName.lowercased()] = GitHubRepository(
                fullName: fullName,
                id: id,
                repositoryScope: Self.makeScope(&state),
                environments: scopes
            )
        }
    }

    /// Adds an organization with its own Actions secret scope (a fresh key pair and key id). Its
    /// repositories are those added with `addRepository("ORG/…")`.
    public func addOrganization(_ name: String) {
        state.withLock { state in
            state.organizations[name.lowercased()] = GitHubOrganization(name: name, scope: Self.makeScope(&state))
        }
    }

    /// Registers a GitHub App and its installation; JWTs must verify with `publicKeyPEM`.
    ///
    /// - Parameters:
    ///   - id: the App id, the JWT's `iss`.
    ///   - installationID: the one installation whose tokens the App may request.
    ///   - publicKeyPEM: the public half of the App's key (`BEGIN PUBLIC KEY`).
    public func addApp(id: Int, installationID: Int, publicKeyPEM: String) throws {
        let key = try _RSA.Signing.PublicKey(pemRepresentation: publicKeyPEM)
        state.withLock { $0.apps[id] = GitHubApp(id: id, installationID: installationID, publicKey: key) }
    }

    /// Registers a GitHub App with a fresh 2048-bit key, as GitHub's "Generate a private key"
    /// button does, and returns the private key's PEM (PKCS#1, `BEGIN RSA PRIVATE KEY`).
    public func addApp(id: Int, installationID: Int) throws -> String {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        try addApp(id: id, installationID: installationID, publicKeyPEM: key.publicKey.pemRepresentation)
        return key.pemRepresentation
    }

    /// Gives the scope a new key pair and key id, as when GitHub rotates a public key: values sealed
    /// for the old key, or sent with the old key id, are refused from now on. Stored secrets stay.
    public func rotatePublicKey(repository: String, environment: String? = nil) {
        state.withLock { state in
            let repositoryKey = repository.lowercased()
            guard var stored = state.repositories[repositoryKey] else {
                preconditionFailure("rotatePublicKey: unknown repository '\(repository)'")
            }
            let fresh = Self.makeScope(&state)
            if let environment {
                guard var scope = stored.environments[environment.lowercased()] else {
                    preconditionFailure("rotatePublicKey: '\(repository)' has no environment '\(environment)'")
                }
                scope.keyPair = fresh.keyPair
                scope.keyID = fresh.keyID
                stored.environments[environment.lowercased()] = scope
            } else {
                stored.repositoryScope.keyPair = fresh.keyPair
                stored.repositoryScope.keyID = fresh.keyID
            }
            state.repositories[repositoryKey] = stored
        }
    }

    /// Starts the emulator on `127.0.0.1` on a free port.
    public func start() async throws -> EmulatorServer {
        try await EmulatorServer.start(
            name: "github",
            responder: EmulatorResponder { [self] request in
                await self.respond(to: request)
            }
        )
    }

    // MARK: - Inspection

    /// The plaintext of a stored secret, as the client sealed it; nil when there is none.
    public func secretValue(repository: String, environment: String? = nil, name: String) -> String? {
        storedSecret(repository: repository, environment: environment, name: name)?.value
    }

    /// When a stored secret was created and last updated (whole seconds); nil when there is none.
    public func secretMetadata(
        repository: String,
        environment: String? = nil,
        name: String
    ) -> (createdAt: Date, updatedAt: Date)? {
        storedSecret(repository: repository, environment: environment, name: name).map {
            (createdAt: $0.createdAt, updatedAt: $0.updatedAt)
        }
    }

    /// The plaintext of an organization secret, as the client sealed it; nil when there is none.
    public func organizationSecretValue(org: String, name: String) -> String? {
        state.withLock { $0.organizations[org.lowercased()]?.scope.secrets[name.uppercased()]?.value }
    }

    /// Who may read an organization secret: its visibility and, for `selected`, the repository ids.
    public func organizationSecretAccess(org: String, name: String) -> (visibility: String, repositoryIDs: [Int])? {
        state.withLock { state in
            guard let organization = state.organizations[org.lowercased()], let visibility = organization.visibility[name.uppercased()] else {
                return nil
            }
            return (visibility, organization.selectedRepositoryIDs[name.uppercased()] ?? [])
        }
    }

    /// Every installation token issued, in order.
    public var installationTokens: [GitHubInstallationToken] {
        state.withLock { $0.installationTokens }
    }

    /// Every secret `PUT` received, accepted or rejected, in order.
    public var writes: [GitHubSecretWrite] {
        state.withLock { $0.writes }
    }

    private func storedSecret(repository: String, environment: String?, name: String) -> GitHubStoredSecret? {
        state.withLock { state in
            guard let stored = state.repositories[repository.lowercased()] else {
                return nil
            }
            let scope = environment.map { stored.environments[$0.lowercased()] } ?? stored.repositoryScope
            return scope?.secrets[name.uppercased()]
        }
    }

    // MARK: - Request handling

    private func respond(to request: Request) async -> Response {
        let method = request.method.rawValue
        let rawPath = request.uri.path
        let route = RequestPath(raw: rawPath).flatMap(Self.route(for:))

        let interception = await harness.controls.intercept(method: method, path: rawPath, faults: harness.faults)
        guard case .proceed(let fault, let afterHandling) = interception else {
            harness.recorder.record(method: method, path: rawPath, query: request.uri.query, status: 0)
            if case .dropped(let response) = interception { return response }
            return Response(status: .internalServerError)
        }
        var reply: JSONResponse
        if let fault {
            reply =
                fault.body.map { JSONResponse(status: fault.status, rawBody: $0) }
                ?? Self.error(fault.status, HTTPReasonPhrase.phrase(for: fault.status)).response
        } else {
            do {
                try checkHeaders(of: request, route: route)
                reply = try await handle(request, method: method, route: route)
            } catch {
                reply = error.response
            }
        }

        // GitHub sends these on every answer, errors included; a fault's own headers come last and
        // win, so a test can fake an exhausted limit (`x-ratelimit-remaining: 0`) or a `retry-after`.
        let remaining = state.withLock { state in
            state.rateLimitRemaining = max(state.rateLimitRemaining - 1, 0)
            return state.rateLimitRemaining
        }
        reply.setHeader("x-ratelimit-limit", String(Self.rateLimit))
        reply.setHeader("x-ratelimit-remaining", String(remaining))
        reply.setHeader("x-ratelimit-reset", String(rateLimitReset))
        reply.setHeader("x-ratelimit-used", String(Self.rateLimit - remaining))
        reply.setHeader("x-ratelimit-resource", "core")
        reply.setHeader("x-github-request-id", Self.makeRequestID())
        reply.setHeader("x-github-api-version-selected", Self.apiVersion)
        for (name, value) in (fault?.headers ?? [:]).sorted(by: { $0.key < $1.key }) {
            reply.setHeader(name, value)
        }

        harness.recorder.record(method: method, path: rawPath, query: request.uri.query, status: reply.status)
        if method == "PUT", case .secret(let address, let name)? = route {
            let write = GitHubSecretWrite(
                repository: address.fullName,
                environment: address.environment,
                organization: nil,
                name: name,
                status: reply.status,
                at: Date()
            )
            state.withLock { $0.writes.append(write) }
        }
        if method == "PUT", case .organizationSecret(let org, let name)? = route {
            let write = GitHubSecretWrite(repository: nil, environment: nil, organization: org, name: name, status: reply.status, at: Date())
            state.withLock { $0.writes.append(write) }
        }
        return harness.controls.finish(
            reply.makeResponse(contentType: "application/json; charset=utf-8"), method: method, path: rawPath, status: reply.status,
            afterHandling: afterHandling
        )
    }

    private static func route(for path: RequestPath) -> Route? {
        if let values = path.captures("repos/{owner}/{repo}/actions/secrets/public-key") {
            return .publicKey(ScopeAddress(owner: values[0], repo: values[1], environment: nil))
        }
        if let values = path.captures("repos/{owner}/{repo}/environments/{environment}/secrets/public-key") {
            return .publicKey(ScopeAddress(owner: values[0], repo: values[1], environment: values[2]))
        }
        if let values = path.captures("repos/{owner}/{repo}/actions/secrets/{name}") {
            return .secret(ScopeAddress(owner: values[0], repo: values[1], environment: nil), name: values[2])
        }
        if let values = path.captures("repos/{owner}/{repo}/environments/{environment}/secrets/{name}") {
            return .secret(ScopeAddress(owner: values[0], repo: values[1], environment: values[2]), name: values[3])
        }
        if let values = path.captures("orgs/{org}/actions/secrets/public-key") {
            return .organizationPublicKey(org: values[0])
        }
        if let values = path.captures("orgs/{org}/actions/secrets/{name}") {
            return .organizationSecret(org: values[0], name: values[1])
        }
        if let values = path.captures("orgs/{org}/actions/secrets/{name}/repositories") {
            return .organizationSecretRepositories(org: values[0], name: values[1])
        }
        if let values = path.captures("repos/{owner}/{repo}") {
            return .repository(owner: values[0], repo: values[1])
        }
        if let values = path.captures("app/installations/{id}/access_tokens") {
            return .installationToken(installationID: values[0])
        }
        return nil
    }

    private func handle(_ request: Request, method: String, route: Route?) async throws(EmulatorRejection)
        -> JSONResponse
    {
        switch (method, route) {
        case ("GET", .publicKey(let address)?):
            return try publicKey(address)
        case ("PUT", .secret(let address, let name)?):
            return try await putSecret(request, address: address, name: name)
        case ("GET", .secret(let address, let name)?):
            return try secretMetadata(address, name: name)
        case ("GET", .organizationPublicKey(let org)?):
            return try organizationPublicKey(org)
        case ("PUT", .organizationSecret(let org, let name)?):
            return try await putOrganizationSecret(request, org: org, name: name)
        case ("GET", .organizationSecret(let org, let name)?):
            return try organizationSecretMetadata(org, name: name)
        case ("GET", .organizationSecretRepositories(let org, let name)?):
            return try organizationSecretRepositories(request, org: org, name: name)
        case ("GET", .repository(let owner, let repo)?):
            return try repository(owner: owner, repo: repo)
        case ("POST", .installationToken(let installationID)?):
            return try installationToken(request, installationID: installationID)
        default:
            throw Self.error(404, "Not Found")
        }
    }

    /// The headers every request must carry, checked in GitHub's order: who you are (User-Agent),
    /// that you may (Authorization), then what you speak (API version, media type).
    private func checkHeaders(of request: Request, route: Route?) throws(EmulatorRejection) {
        let userAgent = request.headers[.userAgent]?.trimmingCharacters(in: .whitespaces) ?? ""
        guard !userAgent.isEmpty else {
            throw Self.error(
                403,
                "Request forbidden by administrative rules. Please make sure your request has a User-Agent header "
                    + "(https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required)."
            )
        }

        guard let authorization = request.headers[.authorization] else {
            // GitHub's answer when no credentials came at all; a wrong one is "Bad credentials".
            throw Self.error(401, "Requires authentication")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        if case .installationToken? = route {
            // App endpoints take the App's JWT, which only `Bearer` may carry; it is checked by the handler.
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw Self.error(401, "A JSON web token could not be decoded")
            }
        } else {
            guard parts.count == 2, ["bearer", "token"].contains(parts[0].lowercased()),
                isAccepted(parts[1].trimmingCharacters(in: .whitespaces))
            else {
                throw Self.error(401, "Bad credentials")
            }
        }

        // Real GitHub falls back to its default version when the header is missing; the emulator
        // refuses instead, so that a client that forgot to pin the version fails its tests.
        guard let version = request.joinedHeader("x-github-api-version") else {
            throw Self.error(
                400,
                "Missing X-GitHub-Api-Version header. This emulator requires \(Self.apiVersion) to be pinned."
            )
        }
        guard version == Self.apiVersion else {
            throw Self.error(400, "Invalid API version provided: \(version). Supported versions: \(Self.apiVersion)")
        }

        // Real GitHub is lenient here (it answers `application/json` and `*/*` too); the emulator is
        // strict on purpose, so that the client is proven to ask for the documented media type.
        let accept = request.headers[.accept] ?? ""
        let mediaTypes = accept.split(separator: ",").map {
            $0.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        }
        guard mediaTypes.contains(Self.mediaType) else {
            throw Self.error(415, "Unsupported 'Accept' header: '\(accept)'. Must accept '\(Self.mediaType)'.")
        }
    }

    /// `GET …/secrets/public-key`: the key to seal values for this scope, and its id.
    private func publicKey(_ address: ScopeAddress) throws(EmulatorRejection) -> JSONResponse {
        let scope = try state.withLock { (state: inout State) throws(EmulatorRejection) in
            try Self.withScope(address, in: &state) { scope in scope }
        }
        return JSONResponse(
            status: 200,
            json: .object([
                "key_id": .string(scope.keyID),
                "key": .string(Data(scope.keyPair.publicKey).base64EncodedString()),
            ])
        )
    }

    /// `PUT …/secrets/{secret_name}`: creates (201, body `{}`) or updates (204) a sealed secret.
    private func putSecret(
        _ request: Request,
        address: ScopeAddress,
        name: String
    ) async throws(EmulatorRejection) -> JSONResponse {
        // An unknown repository or environment is a 404 whatever the body says.
        _ = try state.withLock { (state: inout State) throws(EmulatorRejection) in
            try Self.withScope(address, in: &state) { _ in () }
        }
        let fields = try await Self.jsonObjectBody(of: request)
        guard Self.isValidSecretName(name) else {
            throw Self.error(422, Self.invalidNameMessage)
        }
        let keyID = try Self.requiredString(fields, "key_id")
        let encryptedValue = try Self.requiredString(fields, "encrypted_value")
        guard Self.isPaddedStandardBase64(encryptedValue), let sealed = Data(base64Encoded: encryptedValue) else {
            throw Self.error(
                422,
                "Invalid request.\n\nInvalid property /encrypted_value: `\(encryptedValue)` does not match "
                    + "\(Self.encryptedValuePattern)."
            )
        }

        let now = Date().truncatedToWholeSeconds
        let created = try state.withLock { (state: inout State) throws(EmulatorRejection) -> Bool in
            try Self.withScope(address, in: &state) { (scope: inout GitHubSecretScope) throws(EmulatorRejection) in
                // A stale key id (the key was rotated) and a box sealed for another key are the
                // same failure on GitHub: the value cannot be trusted to decrypt.
                guard keyID == scope.keyID, let plaintext = scope.keyPair.open([UInt8](sealed)) else {
                    throw Self.error(422, Self.improperlyEncryptedMessage)
                }
                guard plaintext.count <= Self.maximumSecretSize else {
                    throw Self.error(422, "Invalid request.\n\nSecret value exceeds the maximum size of 48 KB.")
                }
                let value = String(decoding: plaintext, as: UTF8.self)
                let key = name.uppercased()
                if var existing = scope.secrets[key] {
                    existing.value = value
                    existing.updatedAt = now
                    scope.secrets[key] = existing
                    return false
                }
                scope.secrets[key] = GitHubStoredSecret(value: value, createdAt: now, updatedAt: now)
                return true
            }
        }
        return created ? JSONResponse(status: 201, json: .object([:])) : JSONResponse.empty(status: 204)
    }

    /// `GET …/secrets/{secret_name}`: the name (uppercase) and timestamps, never the value.
    private func secretMetadata(_ address: ScopeAddress, name: String) throws(EmulatorRejection) -> JSONResponse {
        let stored = try state.withLock { (state: inout State) throws(EmulatorRejection) in
            try Self.withScope(address, in: &state) { scope in scope.secrets[name.uppercased()] }
        }
        guard let stored else {
            throw Self.error(404, "Not Found")
        }
        return JSONResponse(
            status: 200,
            json: .object([
                "name": .string(name.uppercased()),
                "created_at": .string(stored.createdAt.iso8601WholeSeconds),
                "updated_at": .string(stored.updatedAt.iso8601WholeSeconds),
            ])
        )
    }

    // MARK: - Organizations

    /// A token given to `init`, or an installation token that has not expired.
    private func isAccepted(_ token: String) -> Bool {
        if acceptedTokens.contains(token) { return true }
        let now = Date()
        return state.withLock { state in state.installationTokens.contains { $0.value == token && $0.expiresAt > now } }
    }

    /// `GET /orgs/{org}/actions/secrets/public-key`: the organization's own key.
    private func organizationPublicKey(_ org: String) throws(EmulatorRejection) -> JSONResponse {
        let scope = try state.withLock { (state: inout State) throws(EmulatorRejection) -> GitHubSecretScope in
            guard let organization = state.organizations[org.lowercased()] else { throw Self.error(404, "Not Found") }
            return organization.scope
        }
        return JSONResponse(status: 200, json: .object([
            "key_id": .string(scope.keyID),
            "key": .string(Data(scope.keyPair.publicKey).base64EncodedString()),
        ]))
    }

    /// `PUT /orgs/{org}/actions/secrets/{secret_name}`: `visibility` is required on every write;
    /// `selected_repository_ids` only with `selected`, and only repositories of the organization.
    private func putOrganizationSecret(_ request: Request, org: String, name: String) async throws(EmulatorRejection) -> JSONResponse {
        _ = try organizationPublicKey(org)
        let fields = try await Self.jsonObjectBody(of: request)
        guard Self.isValidSecretName(name) else { throw Self.error(422, Self.invalidNameMessage) }
        let keyID = try Self.requiredString(fields, "key_id")
        let encryptedValue = try Self.requiredString(fields, "encrypted_value")
        let visibility = try Self.requiredString(fields, "visibility")
        guard ["all", "private", "selected"].contains(visibility) else {
            throw Self.error(422, "Invalid request.\n\n\"\(visibility)\" is not a member of [\"all\", \"private\", \"selected\"].")
        }
        var selectedIDs: [Int]?
        switch fields["selected_repository_ids"] {
        case nil, .null?:
            selectedIDs = nil
        case .array(let items)?:
            var ids: [Int] = []
            for item in items {
                guard case .integer(let id) = item else {
                    throw Self.error(422, "Invalid request.\n\nFor 'items', \(item.summary) is not an integer.")
                }
                ids.append(id)
            }
            selectedIDs = ids
        case let other?:
            throw Self.error(422, "Invalid request.\n\nFor 'properties/selected_repository_ids', \(other.summary) is not an array.")
        }
        if selectedIDs != nil, visibility != "selected" {
            throw Self.error(422, "Invalid request.\n\nselected_repository_ids can only be used when visibility is 'selected'.")
        }
        guard Self.isPaddedStandardBase64(encryptedValue), let sealed = Data(base64Encoded: encryptedValue) else {
            throw Self.error(422, "Invalid request.\n\nInvalid property /encrypted_value: `\(encryptedValue)` does not match \(Self.encryptedValuePattern).")
        }
        let now = Date().truncatedToWholeSeconds
        let created = try state.withLock { (state: inout State) throws(EmulatorRejection) -> Bool in
            guard var organization = state.organizations[org.lowercased()] else { throw Self.error(404, "Not Found") }
            if let selectedIDs {
                let own = Set(state.repositories.values.filter { $0.fullName.lowercased().hasPrefix(org.lowercased() + "/") }.map(\.id))
                if let foreign = selectedIDs.first(where: { !own.contains($0) }) {
                    throw Self.error(422, "Invalid request.\n\nRepository \(foreign) is not a repository of the organization.")
                }
            }
            guard keyID == organization.scope.keyID, let plaintext = organization.scope.keyPair.open([UInt8](sealed)) else {
                throw Self.error(422, Self.improperlyEncryptedMessage)
            }
            guard plaintext.count <= Self.maximumSecretSize else {
                throw Self.error(422, "Invalid request.\n\nSecret value exceeds the maximum size of 48 KB.")
            }
            let key = name.uppercased()
            let value = String(decoding: plaintext, as: UTF8.self)
            let created: Bool
            if var existing = organization.scope.secrets[key] {
                existing.value = value
                existing.updatedAt = now
                organization.scope.secrets[key] = existing
                created = false
            } else {
                organization.scope.secrets[key] = GitHubStoredSecret(value: value, createdAt: now, updatedAt: now)
                created = true
            }
            organization.visibility[key] = visibility
            if visibility == "selected" {
                // Without the list, GitHub keeps the repositories already selected.
                if let selectedIDs { organization.selectedRepositoryIDs[key] = selectedIDs }
            } else {
                organization.selectedRepositoryIDs[key] = nil
            }
            state.organizations[org.lowercased()] = organization
            return created
        }
        return created ? JSONResponse(status: 201, json: .object([:])) : JSONResponse.empty(status: 204)
    }

    /// `GET /orgs/{org}/actions/secrets/{secret_name}`: name, timestamps and visibility.
    private func organizationSecretMetadata(_ org: String, name: String) throws(EmulatorRejection) -> JSONResponse {
        let found = state.withLock { state -> (GitHubStoredSecret, String)? in
            guard let organization = state.organizations[org.lowercased()],
                  let secret = organization.scope.secrets[name.uppercased()], let visibility = organization.visibility[name.uppercased()]
            else { return nil }
            return (secret, visibility)
        }
        guard let (stored, visibility) = found else { throw Self.error(404, "Not Found") }
        var object: [String: JSONValue] = [
            "name": .string(name.uppercased()),
            "created_at": .string(stored.createdAt.iso8601WholeSeconds),
            "updated_at": .string(stored.updatedAt.iso8601WholeSeconds),
            "visibility": .string(visibility),
        ]
        if visibility == "selected" {
            object["selected_repositories_url"] = .string("https://api.github.com/orgs/\(org)/actions/secrets/\(name.uppercased())/repositories")
        }
        return JSONResponse(status: 200, json: .object(object))
    }

    /// `GET /orgs/{org}/actions/secrets/{secret_name}/repositories`: 409 unless visibility is
    /// `selected`. Paged: `per_page` (default 30, at most 100) and `page`, with `total_count` and
    /// a `Link` header
    /// (https://docs.github.com/en/rest/actions/secrets#list-selected-repositories-for-an-organization-secret).
    private func organizationSecretRepositories(_ request: Request, org: String, name: String) throws(EmulatorRejection) -> JSONResponse {
        let repositories = try state.withLock { (state: inout State) throws(EmulatorRejection) -> [GitHubRepository] in
            guard let organization = state.organizations[org.lowercased()], let visibility = organization.visibility[name.uppercased()] else {
                throw Self.error(404, "Not Found")
            }
            guard visibility == "selected" else { throw Self.error(409, "The secret's visibility is not 'selected'.") }
            let ids = organization.selectedRepositoryIDs[name.uppercased()] ?? []
            return ids.compactMap { id in state.repositories.values.first { $0.id == id } }
        }
        let slice = PageSlice(query: QueryString.parameters(request.uri.query), total: repositories.count, defaultPerPage: Self.defaultPerPage)
        var reply = JSONResponse(status: 200, json: .object([
            "total_count": .integer(repositories.count),
            "repositories": .array(repositories[slice.range].map { .object(["id": .integer($0.id), "full_name": .string($0.fullName)]) }),
        ]))
        // GitHub sends `Link` only when there is more than one page.
        if slice.totalPages > 1 {
            let host = request.head.authority ?? "127.0.0.1"
            reply.setHeader("link", slice.linkHeader(url: "http://\(host)\(request.uri.path)"))
        }
        return reply
    }

    /// `GET /repos/{owner}/{repo}`: the repository's id and full name.
    private func repository(owner: String, repo: String) throws(EmulatorRejection) -> JSONResponse {
        let found = state.withLock { $0.repositories["\(owner)/\(repo)".lowercased()] }
        guard let found else { throw Self.error(404, "Not Found") }
        let parts = found.fullName.split(separator: "/").map(String.init)
        return JSONResponse(status: 200, json: .object([
            "id": .integer(found.id),
            "name": .string(parts.last ?? ""),
            "full_name": .string(found.fullName),
            "owner": .object(["login": .string(parts.first ?? "")]),
        ]))
    }

    // MARK: - GitHub Apps

    /// `POST /app/installations/{installation_id}/access_tokens`: the App's JWT, verified with its
    /// public key, buys a `ghs_` token for one hour.
    private func installationToken(_ request: Request, installationID: String) throws(EmulatorRejection) -> JSONResponse {
        let authorization = request.headers[.authorization] ?? ""
        let jwt = String(authorization.split(separator: " ", maxSplits: 1).last ?? "")
        let apps = state.withLock { $0.apps }
        let app: GitHubApp
        do {
            app = try GitHubAppJWTVerifier.verify(jwt, apps: apps, now: Date())
        } catch {
            throw Self.error(401, error.message)
        }
        guard Int(installationID) == app.installationID else { throw Self.error(404, "Not Found") }
        let token = GitHubInstallationToken(
            value: "ghs_" + Self.randomAlphanumerics(36), appID: app.id, installationID: app.installationID,
            expiresAt: Date().addingTimeInterval(3600).truncatedToWholeSeconds
        )
        state.withLock { $0.installationTokens.append(token) }
        return JSONResponse(status: 201, json: .object([
            "token": .string(token.value),
            "expires_at": .string(token.expiresAt.iso8601WholeSeconds),
            "permissions": .object([
                "secrets": .string("write"), "environments": .string("write"), "organization_secrets": .string("write"), "metadata": .string("read"),
            ]),
            "repository_selection": .string("all"),
        ]))
    }

    private static func randomAlphanumerics(_ count: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }

    // MARK: - Helpers

    /// Runs `body` on the addressed scope, writing back any change.
    ///
    /// - Throws: 404 `Not Found` when the repository or environment is unknown, as GitHub answers.
    private static func withScope<Result>(
        _ address: ScopeAddress,
        in state: inout State,
        _ body: (inout GitHubSecretScope) throws(EmulatorRejection) -> Result
    ) throws(EmulatorRejection) -> Result {
        guard var stored = state.repositories[address.repositoryKey] else {
            throw error(404, "Not Found")
        }
        let result: Result
        if let environmentKey = address.environmentKey {
            guard var scope = stored.environments[environmentKey] else {
                throw error(404, "Not Found")
            }
            result = try body(&scope)
            stored.environments[environmentKey] = scope
        } else {
            result = try body(&stored.repositoryScope)
        }
        state.repositories[address.repositoryKey] = stored
        return result
    }

    /// A new key pair with a key id no other scope has had.
    private static func makeScope(_ state: inout State) -> GitHubSecretScope {
        var keyID: String
        repeat {
            // Nineteen digits, the shape of GitHub's key ids (`3380204578043523366`).
            keyID = String(UInt64.random(in: 1_000_000_000_000_000_000...UInt64(Int64.max)))
        } while state.issuedKeyIDs.contains(keyID)
        state.issuedKeyIDs.insert(keyID)
        return GitHubSecretScope(keyPair: SealedBoxOpener(), keyID: keyID)
    }

    /// `^[A-Za-z_][A-Za-z0-9_]*$`, and not starting with `GITHUB_` in any case.
    private static func isValidSecretName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first else {
            return false
        }
        func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
        func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
        guard isLetter(first) || first == 0x5F else {
            return false
        }
        guard bytes.allSatisfy({ isLetter($0) || isDigit($0) || $0 == 0x5F }) else {
            return false
        }
        return !name.uppercased().hasPrefix("GITHUB_")
    }

    /// The pattern GitHub's OpenAPI description gives `encrypted_value`: standard Base64 with its
    /// padding, at least one group of four, no line breaks, no URL-safe alphabet.
    private static func isPaddedStandardBase64(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.count % 4 == 0 else {
            return false
        }
        let padding = bytes.reversed().prefix { $0 == UInt8(ascii: "=") }.count
        guard padding <= 2 else {
            return false
        }
        return bytes.dropLast(padding).allSatisfy { byte in
            (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
        }
    }

    /// A required string property; GitHub words a missing one as "wasn't supplied".
    private static func requiredString(_ fields: [String: JSONValue], _ key: String) throws(EmulatorRejection)
        -> String
    {
        switch fields[key] {
        case nil, .null?:
            throw error(422, "Invalid request.\n\n\"\(key)\" wasn't supplied.")
        case .string(let value)?:
            return value
        case let other?:
            throw error(422, "Invalid request.\n\nFor 'properties/\(key)', \(other.summary) is not a string.")
        }
    }

    /// The request body, which must be a JSON object.
    private static func jsonObjectBody(of request: Request) async throws(EmulatorRejection) -> [String: JSONValue] {
        do {
            return try await request.jsonObjectBody()
        } catch {
            switch error {
            case .tooLarge: throw Self.error(413, "Payload too large")
            case .notJSON: throw Self.error(400, "Problems parsing JSON")
            case .notObject: throw Self.error(400, "Body should be a JSON object")
            }
        }
    }


    /// GitHub's error body: a message, a documentation link, and the status as a string.
    private static func error(_ status: Int, _ message: String) -> EmulatorRejection {
        EmulatorRejection(
            response: JSONResponse(
                status: status,
                json: .object([
                    "message": .string(message),
                    "documentation_url": .string(documentationURL),
                    "status": .string(String(status)),
                ])
            )
        )
    }

    /// Shaped like GitHub's `x-github-request-id`, such as `C0DE:1A2B3C:4D5E6F:7A8B9C:65F0A1B2`.
    private static func makeRequestID() -> String {
        func hex(_ digits: Int) -> String {
            let value = UInt64.random(in: 0..<(1 << (4 * UInt64(digits))))
            let text = String(value, radix: 16, uppercase: true)
            return String(repeating: "0", count: digits - text.count) + text
        }
        return [hex(4), hex(6), hex(6), hex(6), hex(8)].joined(separator: ":")
    }
}
