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
        var pagination = EnvshedListPagination.cursor
        var pageSize = EnvshedEmulator.defaultPageSize
        var revokeRouteExists = true
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

    /// Small, so that a test with a few dozen tokens already reads several pages.
    public static let defaultPageSize = 20
    /// The most a client may ask for in one page.
    public static let maximumPageSize = 100

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

    /// Pages the token list in `style`, `pageSize` tokens a page unless the client asks for
    /// fewer (or for more, up to `maximumPageSize`).
    public func paginateList(_ style: EnvshedListPagination, pageSize: Int = EnvshedEmulator.defaultPageSize) {
        precondition(pageSize >= 1, "paginateList: pageSize must be at least 1")
        state.withLock { state in
            state.pagination = style
            state.pageSize = pageSize
        }
    }

    /// With `exists: false`, `DELETE /api/v1/service-tokens/{org}/{id}` is a route that does not
    /// exist, as if the real API revoked elsewhere: it then answers like every unknown path.
    public func setRevokeRoute(exists: Bool) {
        state.withLock { $0.revokeRouteExists = exists }
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
            throw Self.unknownRoute
        }
        if let values = path.captures("api/v1/service-tokens/{org}") {
            switch method {
            case "POST": return try await createToken(request, org: values[0])
            case "GET": return try listTokens(request, org: values[0])
            default: break
            }
        }
        if let values = path.captures("api/v1/service-tokens/{org}/{id}"), method == "DELETE", state.withLock({ $0.revokeRouteExists }) {
            return try revokeToken(request, org: values[0], id: values[1])
        }
        if let values = path.captures("api/v1/secrets/{org}/{project}/{environment}"), method == "GET" {
            return try pullSecrets(request, org: values[0], project: values[1], environment: values[2])
        }
        throw Self.unknownRoute
    }

    /// What a path outside the API's routes gets: the web app's HTML "not found" page, not the
    /// API's JSON error. A client must not read it as "this token does not exist".
    private static let unknownRoute = EmulatorRejection(response: {
        var reply = JSONResponse(status: 404, rawBody: "<!DOCTYPE html><html><head><title>404: This page could not be found</title></head><body><h1>404</h1><p>This page could not be found.</p></body></html>")
        reply.setHeader("content-type", "text/html; charset=utf-8")
        return reply
    }())

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

    /// `GET /api/v1/service-tokens/{org}`: live (not revoked) tokens, expired ones included, without
    /// values, one page at a time in the style `paginateList` chose.
    private func listTokens(_ request: Request, org: String) throws(EmulatorRejection) -> JSONResponse {
        try requireAdmin(try authenticate(request))
        try requireOrg(org)
        let query = QueryString.parameters(request.uri.query)
        // Positions in `tokens` (creation order, revoked included) keep a cursor stable while
        // tokens are created and revoked between pages.
        let (style, defaultSize, listed) = state.withLock { state in
            (state.pagination, state.pageSize, state.tokens.indices.filter { state.tokens[$0].revokedAt == nil }.map { ($0, state.tokens[$0]) })
        }
        func item(_ token: EmulatedServiceToken) -> JSONValue {
            var body = Self.json(for: token)
            body["revokedAt"] = .null
            return .object(body)
        }
        let sizeParameter = style == .linkHeader ? "per_page" : "limit"
        var size = defaultSize
        if let text = query[sizeParameter] {
            guard let asked = Int(text), asked >= 1 else { throw Self.reject(400, "\(sizeParameter) must be a positive integer") }
            size = min(asked, Self.maximumPageSize)
        }
        switch style {
        case .cursor:
            var start = 0
            if let cursor = query["cursor"] {
                guard let position = Self.position(ofCursor: cursor) else { throw Self.reject(400, "Invalid cursor") }
                start = listed.firstIndex { $0.0 > position } ?? listed.count
            }
            let page = listed[start..<min(start + size, listed.count)]
            let next: JSONValue = start + size < listed.count ? .string(Self.cursor(atPosition: page.last!.0)) : .null
            return JSONResponse(status: 200, json: .object([
                "serviceTokens": .array(page.map { item($0.1) }), "nextCursor": next, "total": .integer(listed.count),
            ]))
        case .linkHeader, .pageNumbers:
            var number = 1
            if let text = query["page"] {
                guard let asked = Int(text), asked >= 1 else { throw Self.reject(400, "page must be a positive integer") }
                number = asked
            }
            let pages = max(1, (listed.count + size - 1) / size)
            let start = min((number - 1) * size, listed.count)
            let page = listed[start..<min(start + size, listed.count)]
            var body: [String: JSONValue] = ["serviceTokens": .array(page.map { item($0.1) })]
            if style == .pageNumbers {
                body["page"] = .integer(number)
                body["totalPages"] = .integer(pages)
                body["total"] = .integer(listed.count)
            }
            var reply = JSONResponse(status: 200, json: .object(body))
            if style == .linkHeader, number < pages {
                // Relative, as RFC 8288 allows: the client resolves it against the page it asked for.
                reply.setHeader("link", "</api/v1/service-tokens/\(org)?page=\(number + 1)&per_page=\(size)>; rel=\"next\"")
            }
            return reply
        }
    }

    /// An opaque cursor: the creation position of the last token of a page, base64-encoded.
    private static func cursor(atPosition position: Int) -> String {
        Data("pos:\(position)".utf8).base64EncodedString()
    }

    private static func position(ofCursor cursor: String) -> Int? {
        guard let data = Data(base64Encoded: cursor), let text = String(data: data, encoding: .utf8), text.hasPrefix("pos:") else { return nil }
        return Int(text.dropFirst(4))
    }

    /// `DELETE /api/v1/service-tokens/{org}/{id}`: revocation takes effect at once.
    private func revokeToken(_ request: Request, org: String, id: String) throws(EmulatorRejection) -> JSONResponse {
        try requireAdmin(try authenticate(request))
        try requireOrg(org)
        try state.withLock { (state: inout State) throws(EmulatorRejection) in
            guard let index = state.tokens.firstIndex(where: { $0.id == id && $0.revokedAt == nil }) else {
                throw Self.reject(404, "Service token not found", code: "service_token_not_found")
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

    private static func reject(_ status: Int, _ message: String, code: String? = nil) -> EmulatorRejection {
        var body: [String: JSONValue] = ["error": .string(message)]
        if let code { body["code"] = .string(code) }
        return EmulatorRejection(response: JSONResponse(status: status, json: .object(body)))
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
