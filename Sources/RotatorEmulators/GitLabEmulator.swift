import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// A loopback emulator of GitLab's REST API (v4) for CI/CD variables of projects and groups.
///
/// It follows `project_level_variables.md` / `group_level_variables.md` and GitLab's source where
/// the docs are vague: no upsert (`PUT` of a missing variable is `404 Variable Not Found`, `POST`
/// of an existing key and scope is `400 … has already been taken`), `409` when a key exists in
/// several scopes and no `filter[environment_scope]` says which, masked values checked with the
/// regexes of `app/models/concerns/ci/maskable.rb`, `masked_and_hidden` accepted on `POST` only,
/// hidden values read back as `null`. Auth by `PRIVATE-TOKEN` or `Authorization: Bearer`.
public final class GitLabEmulator: ControllableEmulator {
    /// A project or a group: both own variables keyed by (key, environment scope).
    private struct Owner {
        let id: Int
        let path: String
        var variables: [GitLabStoredVariable] = []
    }

    private enum OwnerKind: String {
        case project
        case group

        var notFound: String { self == .project ? "404 Project Not Found" : "404 Group Not Found" }
    }

    private struct State {
        var projects: [Owner] = []
        var groups: [Owner] = []
        var writes: [GitLabVariableWrite] = []
        var remaining = GitLabEmulator.rateLimit
        var tier = GitLabTier.premium
        var defaultPerPage = GitLabEmulator.documentedPerPage
    }

    private static let rateLimit = 2000
    /// GitLab's default page size (https://docs.gitlab.com/api/rest/#pagination).
    public static let documentedPerPage = 20
    /// `maskable.rb` `REGEX`: masked and expanded.
    private static let expandedMaskAlphabet = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=/@:.~-".utf8)

    private let acceptedTokens: Set<String>
    private let rateLimitReset: Int
    private let state = Mutex(State())
    public let harness = EmulatorHarness()

    /// - Parameter acceptedTokens: the tokens that authenticate (personal, project or group access
    ///   tokens, OAuth tokens), in either header.
    public init(acceptedTokens: Set<String>) {
        self.acceptedTokens = acceptedTokens
        self.rateLimitReset = Int(Date().timeIntervalSince1970) + 60
    }

    // MARK: - Set-up

    /// Adds a project, addressed in URLs by `id` or by its URL-encoded `path` (`acme%2Fapi`).
    public func addProject(path: String, id: Int) {
        state.withLock { $0.projects.append(Owner(id: id, path: path)) }
    }

    /// Adds a group, addressed in URLs by `id` or by its URL-encoded `path`.
    public func addGroup(path: String, id: Int) {
        state.withLock { $0.groups.append(Owner(id: id, path: path)) }
    }

    /// Plays a Free or a Premium instance (see `GitLabTier`); Premium until told otherwise.
    public func setTier(_ tier: GitLabTier) {
        state.withLock { $0.tier = tier }
    }

    /// The page size of lists when a request sends no `per_page`; small values force several pages.
    public func setDefaultPageSize(_ size: Int) {
        precondition(size >= 1, "setDefaultPageSize: size must be at least 1")
        state.withLock { $0.defaultPerPage = size }
    }

    /// Seeds a group variable as if someone had created it by hand.
    public func seedVariable(group: String, _ variable: GitLabStoredVariable) {
        state.withLock { state in
            guard let index = Self.index(of: group, in: state.groups) else {
                preconditionFailure("seedVariable: unknown group '\(group)'")
            }
            state.groups[index].variables.append(variable)
        }
    }

    /// Seeds a variable as if someone had created it by hand.
    public func seedVariable(project: String, _ variable: GitLabStoredVariable) {
        state.withLock { state in
            guard let index = Self.index(of: project, in: state.projects) else {
                preconditionFailure("seedVariable: unknown project '\(project)'")
            }
            state.projects[index].variables.append(variable)
        }
    }

    /// Starts the emulator on `127.0.0.1` on a free port. The API is under `/api/v4`.
    public func start() async throws -> EmulatorServer {
        try await EmulatorServer.start(
            name: "gitlab",
            responder: EmulatorResponder { [self] request in
                await self.respond(to: request)
            }
        )
    }

    // MARK: - Inspection

    /// The project variable with this key and scope, or nil.
    public func variable(project: String, key: String, environmentScope: String = "*") -> GitLabStoredVariable? {
        state.withLock { state in
            Self.index(of: project, in: state.projects).flatMap { index in
                state.projects[index].variables.first { $0.key == key && $0.environmentScope == environmentScope }
            }
        }
    }

    /// The group variable with this key and scope, or nil.
    public func variable(group: String, key: String, environmentScope: String = "*") -> GitLabStoredVariable? {
        state.withLock { state in
            Self.index(of: group, in: state.groups).flatMap { index in
                state.groups[index].variables.first { $0.key == key && $0.environmentScope == environmentScope }
            }
        }
    }

    /// Every variable write received, accepted or rejected, in order.
    public var writes: [GitLabVariableWrite] {
        state.withLock { $0.writes }
    }

    // MARK: - Request handling

    private func respond(to request: Request) async -> Response {
        let method = request.method.rawValue
        let rawPath = request.uri.path
        let query = QueryString.parameters(request.uri.query)
        var reply: JSONResponse
        var write: GitLabVariableWrite?
        let interception = await harness.controls.intercept(method: method, path: rawPath, faults: harness.faults)
        guard case .proceed(let fault, let afterHandling) = interception else {
            harness.recorder.record(method: method, path: rawPath, query: request.uri.query, status: 0)
            if case .dropped(let response) = interception { return response }
            return Response(status: .internalServerError)
        }
        if let fault {
            reply = fault.body.map { JSONResponse(status: fault.status, rawBody: $0) }
                ?? Self.error(fault.status, "\(fault.status) \(HTTPReasonPhrase.phrase(for: fault.status))").response
        } else {
            do {
                try authenticate(request)
                reply = try await route(request, method: method, rawPath: rawPath, query: query, write: &write)
            } catch {
                reply = error.response
            }
        }
        let remaining = state.withLock { state in
            state.remaining = max(state.remaining - 1, 0)
            return state.remaining
        }
        reply.setHeader("ratelimit-limit", String(Self.rateLimit))
        reply.setHeader("ratelimit-name", "throttle_authenticated_api")
        reply.setHeader("ratelimit-observed", String(Self.rateLimit - remaining))
        reply.setHeader("ratelimit-remaining", String(remaining))
        reply.setHeader("ratelimit-reset", String(rateLimitReset))
        reply.setHeader("x-request-id", UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(26).lowercased())
        for (name, value) in (fault?.headers ?? [:]).sorted(by: { $0.key < $1.key }) {
            reply.setHeader(name, value)
        }
        harness.recorder.record(method: method, path: rawPath, query: request.uri.query, status: reply.status)
        if var write {
            write = GitLabVariableWrite(
                ownerKind: write.ownerKind, owner: write.owner, key: write.key, environmentScope: write.environmentScope,
                method: write.method, status: reply.status, at: Date()
            )
            let recorded = write
            state.withLock { $0.writes.append(recorded) }
        } else if fault != nil, method == "PUT" || method == "POST", let address = RequestPath(raw: rawPath).flatMap(Self.address) {
            // A write refused by an injected fault is still a write attempt.
            let recorded = GitLabVariableWrite(
                ownerKind: address.kind.rawValue, owner: address.owner, key: address.key,
                environmentScope: query["filter[environment_scope]"] ?? "*", method: method, status: reply.status, at: Date()
            )
            state.withLock { $0.writes.append(recorded) }
        }
        return harness.controls.finish(
            reply.makeResponse(contentType: "application/json"), method: method, path: rawPath, status: reply.status,
            afterHandling: afterHandling
        )
    }

    private struct Address {
        let kind: OwnerKind
        let owner: String
        let key: String?
    }

    private static func address(_ path: RequestPath) -> Address? {
        for kind in [OwnerKind.project, .group] {
            let collection = kind == .project ? "api/v4/projects/{id}/variables" : "api/v4/groups/{id}/variables"
            if let values = path.captures(collection) { return Address(kind: kind, owner: values[0], key: nil) }
            if let values = path.captures(collection + "/{key}") { return Address(kind: kind, owner: values[0], key: values[1]) }
        }
        return nil
    }

    private func route(
        _ request: Request, method: String, rawPath: String, query: [String: String], write: inout GitLabVariableWrite?
    ) async throws(EmulatorRejection) -> JSONResponse {
        if method == "GET", let path = RequestPath(raw: rawPath), let owner = try ownerResource(path) {
            return owner
        }
        guard let path = RequestPath(raw: rawPath), let address = Self.address(path) else {
            throw Self.error(404, "404 Not Found")
        }
        let free = address.kind == .group && state.withLock { $0.tier == .free }
        // Free: a group's filter is not read at all.
        let filter = free ? nil : query["filter[environment_scope]"]
        switch (method, address.key) {
        case ("GET", nil):
            return try list(request, address, query: query)
        case ("POST", nil):
            var fields = try await Self.jsonObjectBody(of: request)
            if free { fields["environment_scope"] = nil }
            write = GitLabVariableWrite(
                ownerKind: address.kind.rawValue, owner: address.owner, key: fields["key"]?.stringValue,
                environmentScope: fields["environment_scope"]?.stringValue ?? "*", method: method, status: 0, at: Date()
            )
            return try create(address, fields: fields)
        case ("GET", let key?):
            return try read(address, key: key, filter: filter)
        case ("PUT", let key?):
            write = GitLabVariableWrite(
                ownerKind: address.kind.rawValue, owner: address.owner, key: key, environmentScope: filter ?? "*",
                method: method, status: 0, at: Date()
            )
            var fields = try await Self.jsonObjectBody(of: request)
            if free { fields["environment_scope"] = nil }
            return try update(address, key: key, filter: filter, fields: fields)
        default:
            throw Self.error(405, "405 Method Not Allowed")
        }
    }

    /// `GET /projects/:id` and `GET /groups/:id`, by numeric id or URL-encoded path, answering
    /// the numeric `id` and the full path (https://docs.gitlab.com/api/projects/#get-a-single-project,
    /// https://docs.gitlab.com/api/groups/#get-a-single-group); nil for any other path.
    private func ownerResource(_ path: RequestPath) throws(EmulatorRejection) -> JSONResponse? {
        for kind in [OwnerKind.project, .group] {
            guard let reference = path.captures(kind == .project ? "api/v4/projects/{id}" : "api/v4/groups/{id}")?.first else { continue }
            let owner = state.withLock { state in
                let owners = kind == .project ? state.projects : state.groups
                return Self.index(of: reference, in: owners).map { owners[$0] }
            }
            guard let owner else { throw Self.error(404, kind.notFound) }
            let pathKey = kind == .project ? "path_with_namespace" : "full_path"
            return JSONResponse(status: 200, json: .object(["id": .integer(owner.id), pathKey: .string(owner.path)]))
        }
        return nil
    }

    private func authenticate(_ request: Request) throws(EmulatorRejection) {
        if let privateToken = request.joinedHeader("private-token") {
            guard acceptedTokens.contains(privateToken) else { throw Self.error(401, "401 Unauthorized") }
            return
        }
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer", acceptedTokens.contains(String(parts[1])) else {
                throw Self.error(401, "401 Unauthorized")
            }
            return
        }
        throw Self.error(401, "401 Unauthorized")
    }

    /// `GET …/variables`: the owner's variables (hidden values as null), a page at a time with
    /// GitLab's offset-pagination headers (https://docs.gitlab.com/api/rest/#pagination):
    /// `x-page`, `x-per-page`, `x-next-page` and `x-prev-page` (empty when there is none),
    /// `x-total`, `x-total-pages` and `Link`.
    private func list(_ request: Request, _ address: Address, query: [String: String]) throws(EmulatorRejection) -> JSONResponse {
        let variables = try withOwner(address) { owner in owner.variables }
        let slice = PageSlice(query: query, total: variables.count, defaultPerPage: state.withLock { $0.defaultPerPage })
        var reply = JSONResponse(status: 200, json: .array(variables[slice.range].map(Self.json)))
        reply.setHeader("x-page", String(slice.page))
        reply.setHeader("x-per-page", String(slice.perPage))
        reply.setHeader("x-next-page", slice.nextPage.map(String.init) ?? "")
        reply.setHeader("x-prev-page", slice.previousPage.map(String.init) ?? "")
        reply.setHeader("x-total", String(slice.total))
        reply.setHeader("x-total-pages", String(slice.totalPages))
        let host = request.head.authority ?? "127.0.0.1"
        reply.setHeader("link", slice.linkHeader(url: "http://\(host)\(request.uri.path)"))
        return reply
    }

    /// `GET …/variables/:key[?filter[environment_scope]=S]`.
    private func read(_ address: Address, key: String, filter: String?) throws(EmulatorRejection) -> JSONResponse {
        let variable = try withOwner(address) { (owner: inout Owner) throws(EmulatorRejection) in
            owner.variables[try Self.find(key: key, filter: filter, in: owner.variables)]
        }
        return JSONResponse(status: 200, json: Self.json(variable))
    }

    /// `POST …/variables`: creates; a key already present in the scope is a 400.
    private func create(_ address: Address, fields: [String: JSONValue]) throws(EmulatorRejection) -> JSONResponse {
        guard let key = fields["key"]?.stringValue, !key.isEmpty else {
            throw Self.validation(["key": ["is missing"]])
        }
        guard key.count <= 255, key.utf8.allSatisfy({ Self.isKeyCharacter($0) }) else {
            throw Self.validation(["key": ["is too long (maximum is 255 characters)", "can contain only letters, digits and '_'."]])
        }
        guard let value = fields["value"]?.stringValue else {
            throw Self.validation(["value": ["is missing"]])
        }
        let scope = fields["environment_scope"]?.stringValue ?? "*"
        let hidden = try Self.bool(fields, "masked_and_hidden") ?? false
        let maskedField = try Self.bool(fields, "masked") ?? false
        let masked = hidden || maskedField
        let raw = try Self.bool(fields, "raw") ?? false
        let variable = GitLabStoredVariable(
            key: key, value: value, environmentScope: scope, masked: masked, protected: try Self.bool(fields, "protected") ?? false,
            raw: raw, hidden: hidden, description: fields["description"]?.stringValue,
            variableType: fields["variable_type"]?.stringValue ?? "env_var"
        )
        try Self.checkMaskable(variable)
        try withOwner(address) { (owner: inout Owner) throws(EmulatorRejection) in
            if owner.variables.contains(where: { $0.key == key && $0.environmentScope == scope }) {
                throw Self.validation(["key": ["(\(key)) has already been taken"]])
            }
            owner.variables.append(variable)
        }
        return JSONResponse(status: 201, json: Self.json(variable))
    }

    /// `PUT …/variables/:key[?filter[environment_scope]=S]`: updates; `masked_and_hidden` is refused.
    private func update(_ address: Address, key: String, filter: String?, fields: [String: JSONValue]) throws(EmulatorRejection)
        -> JSONResponse
    {
        if fields["masked_and_hidden"] != nil {
            throw Self.validation(["masked_and_hidden": ["can only be set when the variable is created"]])
        }
        let updated = try withOwner(address) { (owner: inout Owner) throws(EmulatorRejection) -> GitLabStoredVariable in
            let index = try Self.find(key: key, filter: filter, in: owner.variables)
            var variable = owner.variables[index]
            if let value = fields["value"]?.stringValue { variable.value = value }
            if let scope = fields["environment_scope"]?.stringValue { variable.environmentScope = scope }
            if let masked = try Self.bool(fields, "masked") {
                let keepsMask = variable.hidden
                variable.masked = masked || keepsMask
            }
            if let protected = try Self.bool(fields, "protected") { variable.protected = protected }
            if let raw = try Self.bool(fields, "raw") { variable.raw = raw }
            if let description = fields["description"]?.stringValue { variable.description = description }
            if let type = fields["variable_type"]?.stringValue { variable.variableType = type }
            try Self.checkMaskable(variable)
            let clash = owner.variables.indices.contains {
                $0 != index && owner.variables[$0].key == key && owner.variables[$0].environmentScope == variable.environmentScope
            }
            if clash { throw Self.validation(["key": ["(\(key)) has already been taken"]]) }
            owner.variables[index] = variable
            return variable
        }
        return JSONResponse(status: 200, json: Self.json(updated))
    }

    // MARK: - Helpers

    private func withOwner<Result>(
        _ address: Address, _ body: (inout Owner) throws(EmulatorRejection) -> Result
    ) throws(EmulatorRejection) -> Result {
        try state.withLock { (state: inout State) throws(EmulatorRejection) -> Result in
            switch address.kind {
            case .project:
                guard let index = Self.index(of: address.owner, in: state.projects) else { throw Self.error(404, address.kind.notFound) }
                return try body(&state.projects[index])
            case .group:
                guard let index = Self.index(of: address.owner, in: state.groups) else { throw Self.error(404, address.kind.notFound) }
                return try body(&state.groups[index])
            }
        }
    }

    /// By numeric id or by path, case-insensitively, as GitLab routes.
    private static func index(of reference: String, in owners: [Owner]) -> Int? {
        if let id = Int(reference) { return owners.firstIndex { $0.id == id } }
        return owners.firstIndex { $0.path.lowercased() == reference.lowercased() }
    }

    /// GitLab's `find_variable`: 404 when none matches, 409 when several do and no filter chose.
    private static func find(key: String, filter: String?, in variables: [GitLabStoredVariable]) throws(EmulatorRejection) -> Int {
        let matches = variables.indices.filter { variables[$0].key == key && (filter == nil || variables[$0].environmentScope == filter) }
        guard let first = matches.first else { throw error(404, "404 Variable Not Found") }
        guard matches.count == 1 else {
            throw error(409, "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'")
        }
        return first
    }

    /// `maskable.rb`: `\A[a-zA-Z0-9_+=/@:.~-]{8,}\z` (masked, expanded) or `\A\S{8,}\z` (masked, raw).
    private static func checkMaskable(_ variable: GitLabStoredVariable) throws(EmulatorRejection) {
        guard variable.masked else { return }
        let bytes = Array(variable.value.utf8)
        let maskable = variable.raw
            ? variable.value.count >= 8 && !variable.value.contains { $0.isWhitespace }
            : bytes.count >= 8 && bytes.allSatisfy { expandedMaskAlphabet.contains($0) }
        if !maskable { throw validation(["value": ["is invalid"]]) }
    }

    private static func isKeyCharacter(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x5F
    }

    /// GitLab accepts booleans as JSON booleans or as the strings "true"/"false".
    private static func bool(_ fields: [String: JSONValue], _ key: String) throws(EmulatorRejection) -> Bool? {
        switch fields[key] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        case .string("true")?: return true
        case .string("false")?: return false
        default: throw Self.error(400, "\(key) is invalid")
        }
    }

    /// The variable as GitLab's API entity shows it: `value` is null when hidden.
    private static func json(_ variable: GitLabStoredVariable) -> JSONValue {
        .object([
            "key": .string(variable.key),
            "value": variable.hidden ? .null : .string(variable.value),
            "variable_type": .string(variable.variableType),
            "protected": .bool(variable.protected),
            "masked": .bool(variable.masked),
            "hidden": .bool(variable.hidden),
            "raw": .bool(variable.raw),
            "environment_scope": .string(variable.environmentScope),
            "description": .stringOrNull(variable.description),
        ])
    }

    private static func jsonObjectBody(of request: Request) async throws(EmulatorRejection) -> [String: JSONValue] {
        do {
            return try await request.jsonObjectBody()
        } catch {
            switch error {
            case .tooLarge: throw Self.error(413, "413 Request Entity Too Large")
            case .notJSON, .notObject: throw Self.error(400, "400 Bad request - the body is not a JSON object")
            }
        }
    }


    /// GitLab's plain error body: `{"message": "404 Project Not Found"}`.
    private static func error(_ status: Int, _ message: String) -> EmulatorRejection {
        EmulatorRejection(response: JSONResponse(status: status, json: .object(["message": .string(message)])))
    }

    /// GitLab's validation error body: `{"message": {"value": ["is invalid"]}}`.
    private static func validation(_ messages: [String: [String]]) -> EmulatorRejection {
        EmulatorRejection(response: JSONResponse(
            status: 400,
            json: .object(["message": .object(messages.mapValues { .array($0.map(JSONValue.string)) })])
        ))
    }
}

extension JSONValue {
    /// The string, or nil for anything else.
    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}
