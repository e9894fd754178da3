import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// A loopback emulator of Azure DevOps' variable-group REST API (api-version 7.1).
///
/// It follows the docs (https://learn.microsoft.com/en-us/rest/api/azure/devops/distributedtask/variablegroups)
/// and the behaviours users report where the docs are silent:
/// - `GET {org}/{project}/_apis/distributedtask/variablegroups?groupName=N` lists groups (name
///   matched case-insensitively, `*` a wildcard), a page at a time with `x-ms-continuationtoken`;
///   `GET …/variablegroups/{id}` reads one.
/// - `PUT {org}/_apis/distributedtask/variablegroups/{id}` replaces the group's whole variable set:
///   a variable left out is deleted (https://github.com/MicrosoftDocs/vsts-rest-api-specs/issues/235);
///   a secret sent back with a `null` value keeps its value
///   (https://github.com/microsoft/terraform-provider-azuredevops/issues/1433); an update without
///   `variableGroupProjectReferences` is refused (https://github.com/MicrosoftDocs/vsts-rest-api-specs/issues/531).
/// - Secret values are never answered (`isSecret: true`, no value); `modifiedOn` moves on every write.
/// - Every request needs `api-version`; a PAT as Basic (any user name) or a bearer token; no
///   credential answers 203 with a sign-in page, a wrong one 401.
/// - Rate limiting (https://learn.microsoft.com/en-us/azure/devops/integrate/concepts/rate-limits):
///   past the limit, `429` with `Retry-After` and the `X-RateLimit-*` headers, and a TF400733 message.
/// - No ETag or `If-Match`: two read-modify-writes of one group lose one of the writes, as on the service.
public final class AzureDevOpsEmulator: ControllableEmulator {
    private struct Group {
        let id: Int
        let organization: String
        let project: String
        let projectID: String
        var name: String
        var type: String
        var description: String
        var variables: [String: AzureDevOpsStoredVariable]
        var modifiedOn: Date
        var version = 0
    }

    private struct State {
        var projects: Set<String> = []
        var groups: [Group] = []
        var writes: [AzureDevOpsGroupWrite] = []
        var pageSize = 1000
        var rateLimit: (requests: Int, window: TimeInterval)?
        var recent: [Date] = []
    }

    public static let apiVersion = "7.1"

    private let acceptedTokens: Set<String>
    private let state = Mutex(State())
    public let harness = EmulatorHarness()

    public init(acceptedTokens: Set<String>) {
        self.acceptedTokens = acceptedTokens
    }

    // MARK: - Set-up

    public func addProject(organization: String, project: String) {
        state.withLock { _ = $0.projects.insert(Self.projectKey(organization, project)) }
    }

    /// Adds a group of `type` (`Vsts`, or `AzureKeyVault` for one linked to a Key Vault) with `variables`.
    public func addGroup(
        organization: String, project: String, id: Int, name: String, type: String = "Vsts",
        variables: [String: AzureDevOpsStoredVariable] = [:]
    ) {
        state.withLock { state in
            precondition(state.projects.contains(Self.projectKey(organization, project)), "addGroup: unknown project \(organization)/\(project)")
            state.groups.append(Group(
                id: id, organization: organization, project: project, projectID: UUID().uuidString.lowercased(), name: name, type: type,
                description: "", variables: variables, modifiedOn: Date().addingTimeInterval(-86_400)
            ))
        }
    }

    /// Groups per page of a list (the service's default is large; small values force several pages).
    public func setPageSize(_ size: Int) {
        precondition(size >= 1, "setPageSize: size must be at least 1")
        state.withLock { $0.pageSize = size }
    }

    /// At most `requests` requests in any `seconds`; more answer 429 with `Retry-After`.
    public func setRateLimit(requests: Int, perSeconds seconds: Int) {
        state.withLock { $0.rateLimit = (requests, TimeInterval(seconds)) }
    }

    /// Changes a variable as someone would in the web UI (it moves `modifiedOn`).
    public func editByHand(groupID: Int, name: String, _ variable: AzureDevOpsStoredVariable?) {
        state.withLock { state in
            guard let index = state.groups.firstIndex(where: { $0.id == groupID }) else { preconditionFailure("editByHand: unknown group \(groupID)") }
            let key = state.groups[index].variables.keys.first { $0.lowercased() == name.lowercased() } ?? name
            state.groups[index].variables[key] = variable
            state.groups[index].modifiedOn = Date()
        }
    }

    /// Starts the emulator on `127.0.0.1` on a free port; the organization is the first path segment.
    public func start() async throws -> EmulatorServer {
        try await EmulatorServer.start(
            name: "azure-devops",
            responder: EmulatorResponder { [self] request in
                await self.respond(to: request)
            }
        )
    }

    // MARK: - Inspection

    /// The variable (looked up case-insensitively), secret value included; nil when absent.
    public func variable(groupID: Int, name: String) -> AzureDevOpsStoredVariable? {
        state.withLock { state in
            guard let group = state.groups.first(where: { $0.id == groupID }) else { return nil }
            return group.variables.first { $0.key.lowercased() == name.lowercased() }?.value
        }
    }

    /// Every variable of the group, values included.
    public func variables(groupID: Int) -> [String: AzureDevOpsStoredVariable] {
        state.withLock { $0.groups.first { $0.id == groupID }?.variables ?? [:] }
    }

    /// Every group `PUT` received, in order.
    public var writes: [AzureDevOpsGroupWrite] {
        state.withLock { $0.writes }
    }

    /// The ids of every group.
    public var groupIDs: [Int] {
        state.withLock { $0.groups.map(\.id) }
    }

    // MARK: - Request handling

    private func respond(to request: Request) async -> Response {
        let method = request.method.rawValue
        let rawPath = request.uri.path
        let query = QueryString.parameters(request.uri.query)
        var reply: JSONResponse
        let interception = await harness.controls.intercept(method: method, path: rawPath, faults: harness.faults)
        guard case .proceed(let fault, let afterHandling) = interception else {
            harness.recorder.record(method: method, path: rawPath, query: request.uri.query, status: 0)
            if case .dropped(let response) = interception { return response }
            return Response(status: .internalServerError)
        }
        var writtenGroup: (Int, [String])?
        if let fault {
            reply = fault.body.map { JSONResponse(status: fault.status, rawBody: $0) }
                ?? Self.error(fault.status, "\(fault.status) \(HTTPReasonPhrase.phrase(for: fault.status))", typeKey: "InjectedFault").response
        } else if let limited = rateLimited() {
            reply = limited
        } else {
            do {
                try authenticate(request)
                reply = try await route(request, method: method, rawPath: rawPath, query: query, written: &writtenGroup)
            } catch {
                reply = error.response
            }
        }
        reply.setHeader("activityid", UUID().uuidString.lowercased())
        reply.setHeader("x-vss-e2eid", UUID().uuidString.lowercased())
        for (name, value) in (fault?.headers ?? [:]).sorted(by: { $0.key < $1.key }) {
            reply.setHeader(name, value)
        }
        harness.recorder.record(method: method, path: rawPath, query: request.uri.query, status: reply.status)
        if method == "PUT", let captures = RequestPath(raw: rawPath)?.captures("{org}/_apis/distributedtask/variablegroups/{id}"),
           let id = Int(captures[1]) {
            let write = AzureDevOpsGroupWrite(
                organization: captures[0], groupID: id, variableNames: writtenGroup?.1 ?? [], status: reply.status, at: Date()
            )
            state.withLock { $0.writes.append(write) }
        }
        let contentType = reply.header("content-type") ?? "application/json; charset=utf-8; api-version=\(Self.apiVersion)"
        return harness.controls.finish(
            reply.makeResponse(contentType: contentType), method: method, path: rawPath, status: reply.status, afterHandling: afterHandling
        )
    }

    /// The sliding-window limiter: 429 with `Retry-After` (seconds until the oldest request in the
    /// window leaves it) and the `X-RateLimit-*` headers the docs list.
    private func rateLimited() -> JSONResponse? {
        state.withLock { state -> JSONResponse? in
            guard let limit = state.rateLimit else { return nil }
            let now = Date()
            state.recent.removeAll { now.timeIntervalSince($0) >= limit.window }
            guard state.recent.count >= limit.requests, let oldest = state.recent.first else {
                state.recent.append(now)
                return nil
            }
            let wait = max(1, Int((limit.window - now.timeIntervalSince(oldest)).rounded(.up)))
            var reply = Self.error(
                429,
                "TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource 'Global' in namespace 'User'. For more information on why your request was blocked, see https://aka.ms/tstu",
                typeKey: "RequestBlockedException"
            ).response
            reply.setHeader("retry-after", String(wait))
            reply.setHeader("x-ratelimit-resource", "Global")
            reply.setHeader("x-ratelimit-limit", String(limit.requests))
            reply.setHeader("x-ratelimit-remaining", "0")
            reply.setHeader("x-ratelimit-reset", String(Int(now.timeIntervalSince1970) + wait))
            return reply
        }
    }

    private func authenticate(_ request: Request) throws(EmulatorRejection) {
        guard let authorization = request.headers[.authorization] else {
            // Azure DevOps answers an anonymous API call with its sign-in page.
            var page = JSONResponse(status: 203, rawBody: "<html><head><title>Azure DevOps Services | Sign In</title></head><body></body></html>")
            page.setHeader("content-type", "text/html; charset=utf-8")
            throw EmulatorRejection(response: page)
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { throw Self.unauthorized() }
        switch parts[0].lowercased() {
        case "basic":
            guard let decoded = Data(base64Encoded: String(parts[1])).map({ String(decoding: $0, as: UTF8.self) }),
                  let colon = decoded.firstIndex(of: ":"), acceptedTokens.contains(String(decoded[decoded.index(after: colon)...]))
            else { throw Self.unauthorized() }
        case "bearer":
            guard acceptedTokens.contains(String(parts[1])) else { throw Self.unauthorized() }
        default:
            throw Self.unauthorized()
        }
    }

    private func route(
        _ request: Request, method: String, rawPath: String, query: [String: String], written: inout (Int, [String])?
    ) async throws(EmulatorRejection) -> JSONResponse {
        guard let path = RequestPath(raw: rawPath) else { throw Self.error(404, "The resource cannot be found.", typeKey: "NotFound") }
        guard let version = query["api-version"], !version.isEmpty else {
            throw Self.error(
                400,
                "No api-version was supplied for the \"\(method)\" request. The version must be supplied either as part of the Accept header (e.g. \"application/json; api-version=1.0\") or as a query parameter (e.g. \"?api-version=1.0\").",
                typeKey: "VssVersionNotSpecifiedException"
            )
        }
        _ = version
        if let captures = path.captures("{org}/{project}/_apis/distributedtask/variablegroups") {
            guard method == "GET" else { throw Self.error(405, "Method not allowed", typeKey: "MethodNotAllowed") }
            return try list(request, organization: captures[0], project: captures[1], query: query)
        }
        if let captures = path.captures("{org}/{project}/_apis/distributedtask/variablegroups/{id}") {
            guard method == "GET" else { throw Self.error(405, "Method not allowed", typeKey: "MethodNotAllowed") }
            try requireProject(captures[0], captures[1])
            guard let id = Int(captures[2]), let group = state.withLock({ $0.groups.first { $0.id == id && Self.sameProject($0, captures[0], captures[1]) } }) else {
                throw Self.groupNotFound(captures[2])
            }
            return JSONResponse(status: 200, json: Self.json(group))
        }
        if let captures = path.captures("{org}/_apis/distributedtask/variablegroups/{id}") {
            guard method == "PUT" else { throw Self.error(405, "Method not allowed", typeKey: "MethodNotAllowed") }
            guard let id = Int(captures[1]) else { throw Self.groupNotFound(captures[1]) }
            let body = try await Self.jsonObjectBody(of: request)
            if case .object(let variables)? = body["variables"] { written = (id, variables.keys.sorted()) }
            return try update(organization: captures[0], id: id, body: body)
        }
        throw Self.error(404, "The resource cannot be found.", typeKey: "NotFound")
    }

    /// `GET …/variablegroups?groupName=…&continuationToken=…`: `{count, value}`; the next page's
    /// token in `x-ms-continuationtoken`.
    private func list(_ request: Request, organization: String, project: String, query: [String: String]) throws(EmulatorRejection) -> JSONResponse {
        try requireProject(organization, project)
        let (groups, pageSize) = state.withLock { state in
            (state.groups.filter { Self.sameProject($0, organization, project) }.sorted { $0.id < $1.id }, state.pageSize)
        }
        let matching = groups.filter { group in query["groupName"].map { Self.matches(group.name, pattern: $0) } ?? true }
        let start = query["continuationToken"].flatMap(Int.init) ?? 0
        let top = query["$top"].flatMap(Int.init).map { min($0, pageSize) } ?? pageSize
        let page = Array(matching.dropFirst(start).prefix(top))
        var reply = JSONResponse(status: 200, json: .object(["count": .integer(page.count), "value": .array(page.map(Self.json))]))
        if start + page.count < matching.count {
            reply.setHeader("x-ms-continuationtoken", String(start + page.count))
        }
        return reply
    }

    /// `PUT {org}/_apis/distributedtask/variablegroups/{id}`: the body's variables replace the group's.
    private func update(organization: String, id: Int, body: [String: JSONValue]) throws(EmulatorRejection) -> JSONResponse {
        guard case .string(let name)? = body["name"], !name.isEmpty else {
            throw Self.error(400, "Value cannot be null.\r\nParameter name: variableGroupParameters.Name", typeKey: "ArgumentNullException")
        }
        guard case .object(let sent)? = body["variables"] else {
            throw Self.error(400, "Value cannot be null.\r\nParameter name: variableGroupParameters.Variables", typeKey: "ArgumentNullException")
        }
        guard case .array(let references)? = body["variableGroupProjectReferences"], !references.isEmpty else {
            throw Self.error(
                401, "TF400813: The user is not authorized to access this resource (no variableGroupProjectReferences).", typeKey: "UnauthorizedRequestException"
            )
        }
        let updated = try state.withLock { (state: inout State) throws(EmulatorRejection) -> Group in
            guard let index = state.groups.firstIndex(where: { $0.id == id && $0.organization.lowercased() == organization.lowercased() }) else {
                throw Self.groupNotFound(String(id))
            }
            var group = state.groups[index]
            var variables: [String: AzureDevOpsStoredVariable] = [:]
            for (key, entry) in sent {
                guard case .object(let fields) = entry else {
                    throw Self.error(400, "The variable '\(key)' is not an object.", typeKey: "InvalidRequestException")
                }
                let isSecret = fields["isSecret"] == .bool(true)
                let previous = group.variables.first { $0.key.lowercased() == key.lowercased() }?.value
                var value: String?
                switch fields["value"] {
                case .string(let text)?: value = text
                case .integer(let number)?: value = String(number)
                case .bool(let flag)?: value = String(flag)
                default:
                    // A secret sent back with null keeps its value; anything else is emptied.
                    value = (isSecret && previous?.isSecret == true) ? previous?.value : ""
                }
                if variables.keys.contains(where: { $0.lowercased() == key.lowercased() }) {
                    throw Self.error(400, "Variable '\(key)' is defined more than once.", typeKey: "InvalidRequestException")
                }
                variables[key] = AzureDevOpsStoredVariable(value: value, isSecret: isSecret, isReadOnly: fields["isReadOnly"] == .bool(true))
            }
            group.name = name
            if case .string(let type)? = body["type"] { group.type = type }
            if case .string(let description)? = body["description"] { group.description = description }
            group.variables = variables
            group.version += 1
            // Strictly later than any earlier write, even within one clock tick.
            group.modifiedOn = max(Date(), group.modifiedOn.addingTimeInterval(0.001))
            state.groups[index] = group
            return group
        }
        return JSONResponse(status: 200, json: Self.json(updated))
    }

    // MARK: - Helpers

    private func requireProject(_ organization: String, _ project: String) throws(EmulatorRejection) {
        guard state.withLock({ $0.projects.contains(Self.projectKey(organization, project)) }) else {
            throw Self.error(
                404, "TF200016: The following project does not exist: \(project). Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server.",
                typeKey: "ProjectDoesNotExistWithNameException"
            )
        }
    }

    private static func projectKey(_ organization: String, _ project: String) -> String {
        "\(organization.lowercased())/\(project.lowercased())"
    }

    private static func sameProject(_ group: Group, _ organization: String, _ project: String) -> Bool {
        projectKey(group.organization, group.project) == projectKey(organization, project)
    }

    /// Case-insensitive, `*` matching any run of characters.
    static func matches(_ name: String, pattern: String) -> Bool {
        let parts = pattern.lowercased().components(separatedBy: "*")
        var rest = Substring(name.lowercased())
        guard parts.count > 1 else { return rest == Substring(parts[0]) }
        guard rest.hasPrefix(parts[0]) else { return false }
        rest = rest.dropFirst(parts[0].count)
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.hasSuffix(parts.last ?? "")
    }

    /// The group as the API answers it: secret values left out.
    private static func json(_ group: Group) -> JSONValue {
        var variables: [String: JSONValue] = [:]
        for (name, variable) in group.variables {
            var fields: [String: JSONValue] = [:]
            if variable.isSecret {
                fields["isSecret"] = .bool(true)
                fields["value"] = .null
            } else {
                fields["value"] = .string(variable.value ?? "")
            }
            if variable.isReadOnly { fields["isReadOnly"] = .bool(true) }
            variables[name] = .object(fields)
        }
        let someone: JSONValue = .object(["displayName": .string("Build Service"), "id": .string("00000000-0000-0000-0000-000000000001")])
        return .object([
            "id": .integer(group.id),
            "type": .string(group.type),
            "name": .string(group.name),
            "description": .string(group.description),
            "variables": .object(variables),
            "createdBy": someone,
            "createdOn": .string(timestamp(group.modifiedOn.addingTimeInterval(-86_400))),
            "modifiedBy": someone,
            "modifiedOn": .string(timestamp(group.modifiedOn)),
            "isShared": .bool(false),
            "variableGroupProjectReferences": .array([.object([
                "projectReference": .object(["id": .string(group.projectID), "name": .string(group.project)]),
                "name": .string(group.name),
                "description": .string(group.description),
            ])]),
        ])
    }

    /// `2026-12-02T15:30:00.1234567Z`: seven fractional digits, as .NET writes them.
    static func timestamp(_ date: Date) -> String {
        let seconds = floor(date.timeIntervalSince1970)
        let ticks = Int(((date.timeIntervalSince1970 - seconds) * 10_000_000).rounded(.down))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: seconds))
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%07dZ", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0,
            parts.second ?? 0, ticks
        )
    }

    private static func jsonObjectBody(of request: Request) async throws(EmulatorRejection) -> [String: JSONValue] {
        do {
            return try await request.jsonObjectBody()
        } catch {
            switch error {
            case .tooLarge: throw Self.error(413, "The request is too large.", typeKey: "RequestTooLarge")
            case .notJSON, .notObject: throw Self.error(400, "Value cannot be null.\r\nParameter name: variableGroupParameters", typeKey: "ArgumentNullException")
            }
        }
    }

    private static func unauthorized() -> EmulatorRejection {
        EmulatorRejection(response: JSONResponse(status: 401, rawBody: "Access Denied: The Personal Access Token used has expired or is not valid."))
    }

    private static func groupNotFound(_ id: String) -> EmulatorRejection {
        error(404, "Variable group with id \(id) does not exist.", typeKey: "VariableGroupNotFoundException")
    }

    /// Azure DevOps' error body.
    private static func error(_ status: Int, _ message: String, typeKey: String) -> EmulatorRejection {
        EmulatorRejection(response: JSONResponse(status: status, json: .object([
            "$id": .string("1"),
            "innerException": .null,
            "message": .string(message),
            "typeName": .string("Microsoft.TeamFoundation.DistributedTask.WebApi.\(typeKey), Microsoft.TeamFoundation.DistributedTask.WebApi"),
            "typeKey": .string(typeKey),
            "errorCode": .integer(0),
            "eventId": .integer(3000),
        ])))
    }
}
