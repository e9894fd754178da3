import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// A loopback emulator of the Envshed API the rotator uses: create, list and revoke service tokens,
/// and pull an environment's secrets.
///
/// Paths, field names and error bodies follow SPEC §5: what Envshed documents, plus the project's
/// stated assumptions for what it does not. It validates strictly so that a client bug shows up as
/// an error here rather than as a surprise against the real service. It never logs token values.
public final class EnvshedEmulator: ControllableEmulator {
    private struct State {
        var projects: [EmulatedProject] = []
        var environments: [EmulatedEnvironment] = []
        /// In creation order, revoked ones included.
        var tokens: [EmulatedServiceToken] = []
    }

    /// Who made a request.
    private enum Caller {
        /// The organisation admin's personal token given to `init`: may manage tokens and pull.
        case admin
        /// A live service token: may only pull, within its scope.
        case serviceToken(EmulatedServiceToken)
    }

    private static let scopes: Set<String> = ["org", "project", "environment"]
    private static let permissions: Set<String> = ["read", "read_write"]
    private static let createFields: Set<String> = [
        "name", "scope", "projectId", "environmentId", "permission", "description", "expiresInDays",
    ]

    private let org: String
    private let adminToken: String
    private let state = Mutex(State())
    public let harness = EmulatorHarness()

    /// - Parameters:
    ///   - org: The organisation slug the emulator answers for; any other slug in a path is a 404.
    ///   - adminToken: The personal token of an org admin, allowed to manage service tokens.
    public init(org: String, adminToken: String) {
        self.org = org
        self.adminToken = adminToken
    }

    // MARK: - Set-up

    /// Adds a project, addressed by `slug` in pulls and by `id` in token scopes.
    public func addProject(slug: String, id: String) {
        state.withLock { $0.projects.append(EmulatedProject(slug: slug, id: id)) }
    }

    /// Adds an environment to the project whose slug is `project`, with the secrets a pull returns.
    ///
    /// The project must have been added first: a missing one is a mistake in the test's set-up.
    public func addEnvironment(project: String, slug: String, id: String, secrets: [String: String]) {
        state.withLock { state in
            guard let owner = state.projects.first(where: { $0.slug == project }) else {
                preconditionFailure("addEnvironment: no project with slug '\(project)'; call addProject first")
            }
            state.environments.append(
                EmulatedEnvironment(projectID: owner.id, slug: slug, id: id, secrets: secrets, version: 1)
            )
        }
    }

    /// Seeds a live service token as if it had been created earlier (for adoption tests).
    ///
    /// Dates are cut to whole seconds, as the API prints them, so that `token(id:)` and the list
    /// endpoint agree. An `expiresAt` in the past seeds an expired token.
    ///
    /// - Returns: The new token's id and value.
    @discardableResult
    public func seedToken(
        name: String,
        scope: String,
        projectID: String?,
        environmentID: String?,
        permission: String,
        expiresAt: Date?,
        description: String? = nil
    ) -> (id: String, value: String) {
        precondition(Self.scopes.contains(scope), "seedToken: scope must be org, project or environment")
        precondition(Self.permissions.contains(permission), "seedToken: permission must be read or read_write")
        let token = EmulatedServiceToken(
            id: UUID().uuidString.lowercased(),
            name: name,
            description: description,
            value: Self.makeTokenValue(),
            scope: scope,
            projectID: projectID,
            environmentID: environmentID,
            permission: permission,
            createdAt: Date().truncatedToWholeSeconds,
            expiresAt: expiresAt?.truncatedToWholeSeconds,
            revokedAt: nil
        )
        state.withLock { $0.tokens.append(token) }
        return (id: token.id, value: token.value)
    }

    /// Starts the emulator on `127.0.0.1` on a free port.
    public func start() async throws -> EmulatorServer {
        try await EmulatorServer.start(
            name: "envshed",
            responder: EmulatorResponder { [self] request in
                await self.respond(to: request)
            }
        )
    }

    // MARK: - Inspection

    /// Every token ever created or seeded, revoked ones included, in creation order.
    public var tokens: [EmulatedServiceToken] {
        state.withLock { $0.tokens }
    }

    /// The token with this id, revoked or not.
    public func token(id: String) -> EmulatedServiceToken? {
        state.withLock { state in state.tokens.first { $0.id == id } }
    }

    // MARK: - Request handling

    private func respond(to request: Request) async -> Response {
        let method = request.method.rawValue
        let rawPath = request.uri.path
        let interception = await harness.controls.intercept(method: method, path: rawPath, faults: harness.faults)
        guard case .proceed(let fault, let afterHandling) = interception else {
            harness.recorder.record(method: method, path: rawPath, query: request.uri.query, status: 0)
            if case .dropped(let response) = interception { return response }
            return Response(status: .internalServerError)
        }
        let reply: JSONResponse
        if let fault {
            reply = Self.faultResponse(fault)
        } else {
            do {
                reply = try await route(request, method: method, rawPath: rawPath)
            } catch {
                reply = error.response
            }
        }
        harness.recorder.record(method: method, path: rawPath, query: request.uri.query, status: reply.status)
        return harness.controls.finish(
            reply.makeResponse(contentType: "application/json"), method: method, path: rawPath, status: reply.status,
            afterHandling: afterHandling
        )
    }

    private func route(_ request: Request, method: String, rawPath: String) async throws(EmulatorRejection)
        -> JSONResponse
    {
        guard let path = RequestPath(raw: rawPath) else {
            throw Self.reject(404, "Not found")
        }
        if let values = path.captures("api/v1/service-tokens/{org}") {
            switch method {
            case "POST": return try await createToken(request, org: values[0])
            case "GET": return try listTokens(request, org: values[0])
            default: break
            }
        }
        if let values = path.captures("api/v1/service-tokens/{org}/{id}"), method == "DELETE" {
            return try revokeToken(request, org: values[0], id: values[1])
        }
        if let values = path.captures("api/v1/secrets/{org}/{project}/{environment}"), method == "GET" {
            return try pullSecrets(request, org: values[0], project: values[1], environment: values[2])
        }
        throw Self.reject(404, "Not found")
    }

    /// `POST /api/v1/service-tokens/{org}`: the admin creates a service token; the value is shown only here.
    private func createToken(_ request: Request, org: String) async throws(EmulatorRejection) -> JSONResponse {
        try requireAdmin(try authenticate(request))
        try requireOrg(org)
        let fields = try await Self.jsonObjectBody(of: request)

        // Unknown fields are refused, not ignored: a misspelt optional field (say `expires_in_days`)
        // would otherwise silently create a token that never expires, and no test would notice.
        if let unknown = fields.keys.sorted().first(where: { !Self.createFields.contains($0) }) {
            throw Self.reject(400, "Unknown field '\(unknown)'")
        }
        guard let name = try Self.string(fields, "name"),
            !name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        else {
            throw Self.reject(400, "name is required")
        }
        guard name.count <= 100 else {
            throw Self.reject(400, "name must be at most 100 characters")
        }
        guard let scope = try Self.string(fields, "scope"), Self.scopes.contains(scope) else {
            throw Self.reject(400, "scope must be one of: org, project, environment")
        }
        let projectID = try Self.string(fields, "projectId")
        let environmentID = try Self.string(fields, "environmentId")
        switch scope {
        case "org":
            guard projectID == nil else {
                throw Self.reject(400, "projectId must not be set for org scope")
            }
            guard environmentID == nil else {
                throw Self.reject(400, "environmentId is only allowed for environment scope")
            }
        case "project":
            guard projectID != nil else {
                throw Self.reject(400, "projectId is required for project and environment scope")
            }
            guard environmentID == nil else {
                throw Self.reject(400, "environmentId is only allowed for environment scope")
            }
        default:
            guard projectID != nil else {
                throw Self.reject(400, "projectId is required for project and environment scope")
            }
            guard environmentID != nil else {
                throw Self.reject(400, "environmentId is required for environment scope")
            }
        }
        guard let permission = try Self.string(fields, "permission"), Self.permissions.contains(permission) else {
            throw Self.reject(400, "permission must be one of: read, read_write")
        }
        let description = try Self.string(fields, "description")
        let expiresInDays: Int?
        switch fields["expiresInDays"] {
        case nil, .null?:
            expiresInDays = nil
        case .integer(let days)? where (1...365).contains(days):
            expiresInDays = days
        default:
            throw Self.reject(400, "expiresInDays must be an integer between 1 and 365")
        }

        let createdAt = Date().truncatedToWholeSeconds
        let token = EmulatedServiceToken(
            id: UUID().uuidString.lowercased(),
            name: name,
            description: description,
            value: Self.makeTokenValue(),
            scope: scope,
            projectID: projectID,
            environmentID: environmentID,
            permission: permission,
            createdAt: createdAt,
            expiresAt: expiresInDays.map { createdAt.addingTimeInterval(TimeInterval($0) * 86_400) },
            revokedAt: nil
        )
        // Look-ups, the uniqueness check and the insert under one lock, so that two concurrent
        // creates with the same name cannot both succeed.
        try state.withLock { (state: inout State) throws(EmulatorRejection) in
            if let projectID {
                guard state.projects.contains(where: { $0.id == projectID }) else {
                    throw Self.reject(404, "Project '\(projectID)' not found")
                }
            }
            if let environmentID {
                guard state.environments.contains(where: { $0.id == environmentID && $0.projectID == projectID })
                else {
                    throw Self.reject(404, "Environment '\(environmentID)' not found")
                }
            }
            let now = Date()
            guard !state.tokens.contains(where: { $0.name == name && $0.isLive(at: now) }) else {
                throw Self.reject(409, "A service token named '\(name)' already exists")
            }
            state.tokens.append(token)
        }
        var body = Self.json(for: token)
        body["token"] = .string(token.value)
        return JSONResponse(status: 201, json: .object(body))
    }

    /// `GET /api/v1/service-tokens/{org}`: live (not revoked) tokens, expired ones included, without values.
    private func listTokens(_ request: Request, org: String) throws(EmulatorRejection) -> JSONResponse {
        try requireAdmin(try authenticate(request))
        try requireOrg(org)
        // `tokens` is kept in creation order, so no sort is needed (and equal seconds keep their order).
        let listed = state.withLock { state in state.tokens.filter { $0.revokedAt == nil } }
        let items = listed.map { token -> JSONValue in
            var body = Self.json(for: token)
            body["revokedAt"] = .null
            return .object(body)
        }
        return JSONResponse(status: 200, json: .object(["serviceTokens": .array(items)]))
    }

    /// `DELETE /api/v1/service-tokens/{org}/{id}`: revocation takes effect at once.
    private func revokeToken(_ request: Request, org: String, id: String) throws(EmulatorRejection) -> JSONResponse {
        try requireAdmin(try authenticate(request))
        try requireOrg(org)
        try state.withLock { (state: inout State) throws(EmulatorRejection) in
            guard let index = state.tokens.firstIndex(where: { $0.id == id && $0.revokedAt == nil }) else {
                throw Self.reject(404, "Service token not found")
            }
            state.tokens[index].revokedAt = Date()
        }
        return JSONResponse.empty(status: 204)
    }

    /// `GET /api/v1/secrets/{org}/{project}/{environment}`: the pull a CI job makes with its token.
    private func pullSecrets(
        _ request: Request,
        org: String,
        project: String,
        environment: String
    ) throws(EmulatorRejection) -> JSONResponse {
        let caller = try authenticate(request)
        try requireOrg(org)
        let found = state.withLock { state -> EmulatedEnvironment? in
            guard let owner = state.projects.first(where: { $0.slug == project }) else {
                return nil
            }
            return state.environments.first { $0.projectID == owner.id && $0.slug == environment }
        }
        guard let found else {
            throw Self.reject(404, "Environment '\(environment)' not found")
        }
        if case .serviceToken(let token) = caller {
            let allowed: Bool
            switch token.scope {
            case "org": allowed = true
            case "project": allowed = token.projectID == found.projectID
            default: allowed = token.environmentID == found.id
            }
            guard allowed else {
                throw Self.reject(403, "Forbidden")
            }
        }
        let secrets = found.secrets.mapValues(JSONValue.string)
        return JSONResponse(
            status: 200,
            json: .object(["secrets": .object(secrets), "placeholders": .array([]), "version": .integer(found.version)])
        )
    }

    // MARK: - Checks shared by the routes

    /// Reads `Authorization: Bearer <token>` and says who is calling.
    ///
    /// - Throws: 401 when the header is missing or the token unknown, revoked or expired.
    private func authenticate(_ request: Request) throws(EmulatorRejection) -> Caller {
        guard let header = request.headers[.authorization] else {
            throw Self.reject(401, "Unauthorized")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Self.reject(401, "Unauthorized")
        }
        let presented = parts[1].trimmingCharacters(in: .whitespaces)
        if presented == adminToken {
            return .admin
        }
        let token = state.withLock { state in state.tokens.first { $0.value == presented } }
        guard let token else {
            throw Self.reject(401, "Unauthorized")
        }
        guard token.revokedAt == nil else {
            throw Self.reject(401, "Token revoked")
        }
        guard !token.isExpired(at: Date()) else {
            throw Self.reject(401, "Token expired")
        }
        return .serviceToken(token)
    }

    private func requireAdmin(_ caller: Caller) throws(EmulatorRejection) {
        guard case .admin = caller else {
            throw Self.reject(403, "Service tokens cannot manage service tokens")
        }
    }

    private func requireOrg(_ requested: String) throws(EmulatorRejection) {
        guard requested == org else {
            throw Self.reject(404, "Organization '\(requested)' not found")
        }
    }

    // MARK: - Helpers

    /// The token's public fields, as both create and list print them (never the value).
    private static func json(for token: EmulatedServiceToken) -> [String: JSONValue] {
        [
            "id": .string(token.id),
            "name": .string(token.name),
            "scope": .string(token.scope),
            "permission": .string(token.permission),
            "projectId": .stringOrNull(token.projectID),
            "environmentId": .stringOrNull(token.environmentID),
            "description": .stringOrNull(token.description),
            "expiresAt": .stringOrNull(token.expiresAt?.iso8601WholeSeconds),
            "createdAt": .string(token.createdAt.iso8601WholeSeconds),
        ]
    }

    /// The request body, which must be a JSON object.
    private static func jsonObjectBody(of request: Request) async throws(EmulatorRejection) -> [String: JSONValue] {
        do {
            return try await request.jsonObjectBody()
        } catch {
            switch error {
            case .tooLarge: throw reject(413, "Request body too large")
            case .notJSON, .notObject: throw reject(400, "Invalid JSON body")
            }
        }
    }

    /// A string field; absent and `null` both read as nil, any other kind of value is a 400.
    private static func string(_ fields: [String: JSONValue], _ key: String) throws(EmulatorRejection) -> String? {
        switch fields[key] {
        case nil, .null?:
            return nil
        case .string(let value)?:
            return value
        default:
            throw reject(400, "\(key) must be a string")
        }
    }

    private static func reject(_ status: Int, _ message: String) -> EmulatorRejection {
        EmulatorRejection(response: JSONResponse(status: status, json: .object(["error": .string(message)])))
    }

    private static func faultResponse(_ fault: InjectedFault) -> JSONResponse {
        var reply =
            fault.body.map { JSONResponse(status: fault.status, rawBody: $0) }
            ?? JSONResponse(
                status: fault.status,
                json: .object(["error": .string(HTTPReasonPhrase.phrase(for: fault.status))])
            )
        for (name, value) in fault.headers.sorted(by: { $0.key < $1.key }) {
            reply.setHeader(name, value)
        }
        return reply
    }

    /// `envshed_svc_` and 40 characters from [A-Za-z0-9], drawn from the system's secure generator.
    private static func makeTokenValue() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        let suffix = (0..<40).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
        return "envshed_svc_" + String(suffix)
    }
}
