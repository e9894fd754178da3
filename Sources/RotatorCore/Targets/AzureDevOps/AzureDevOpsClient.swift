import Foundation
import Logging

/// Azure DevOps' REST API as the variable-group targets use it: the organization as the first path
/// segment, `api-version` pinned on every request, a PAT as HTTP Basic with an empty user name or
/// an Entra ID token as a bearer, errors turned into `TargetError` that say which credential lacks
/// what. One client per run; its `groupLocks` serialize writes to each group.
public struct AzureDevOpsClient: Sendable {
    private let transport: any HTTPTransport
    private let baseURL: URL
    private let credential: Secret
    private let authentication: AzureDevOpsSettings.Authentication
    private let timeout: Duration
    let groupLocks = AzureDevOpsGroupLocks()

    public init(
        transport: any HTTPTransport, baseURL: URL, credential: Secret, authentication: AzureDevOpsSettings.Authentication,
        timeout: Duration = .seconds(30)
    ) {
        self.transport = transport
        self.baseURL = baseURL
        self.credential = credential
        self.authentication = authentication
        self.timeout = timeout
    }

    /// Runs `body` while holding the lock of group `id` of the organization (see
    /// `AzureDevOpsGroupLocks`). Keyed by the resolved id, not by how the plan names the group:
    /// one target may name it `deploy-tokens` and another `7`.
    func withGroupLock<Result: Sendable>(
        organization: String, id: Int, _ body: () async throws(TargetError) -> Result
    ) async throws(TargetError) -> Result {
        let key = "\(organization.lowercased())|\(id)"
        await groupLocks.acquire(key)
        do {
            let result = try await body()
            await groupLocks.release(key)
            return result
        } catch {
            await groupLocks.release(key)
            throw error
        }
    }

    /// - Parameter path: already percent-encoded, without the query; `api-version` is appended to `query`.
    func send(
        _ method: String, _ path: String, query: String = "", json: [String: Any]? = nil, target: Target, operation: String,
        logger: Logger
    ) async throws(TargetError) -> HTTPResponse {
        let fullPath = path + "?" + (query.isEmpty ? "" : query + "&") + "api-version=\(AzureDevOpsSettings.apiVersion)"
        guard let url = URLJoin.join(baseURL, fullPath) else {
            throw TargetError(provider: .azureDevOps, target: target.label, operation: operation, message: "cannot build a URL from \(baseURL)")
        }
        var headers = ["Accept": "application/json", "User-Agent": UserAgent.value]
        switch authentication {
        case .pat:
            credential.withRevealed { headers["Authorization"] = "Basic " + Data(":\($0)".utf8).base64EncodedString() }
        case .bearer:
            credential.withRevealed { headers["Authorization"] = "Bearer \($0)" }
        }
        var body: Data?
        if let json {
            // JSONSerialization, not JSONLine: the group is sent back as Azure DevOps gave it
            // (project references, provider data), whatever JSON types it holds.
            guard let data = try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]) else {
                throw TargetError(provider: .azureDevOps, target: target.label, operation: operation, message: "cannot encode the request body")
            }
            body = data
            headers["Content-Type"] = "application/json"
        }
        let request = HTTPRequest(method: method, url: url, headers: headers, body: body, timeout: timeout)
        let started = ContinuousClock.now
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            // No answer: a write may have been applied.
            throw TargetError(
                provider: .azureDevOps, target: target.label, operation: operation, message: "\(error)", mayHaveWritten: request.isWrite
            )
        }
        logger.debug("http", metadata: [
            "http.request": "\(request.summary)",
            "http.status": "\(response.status)",
            "http.request_id": "\(response.header("x-vss-e2eid") ?? response.header("activityid") ?? "-")",
            LogKeys.durationMS: "\(started.duration(to: .now).milliseconds)",
        ])
        return response
    }

    /// The group the variable lives in, read fresh: by id (`GET {org}/{project}/_apis/distributedtask/variablegroups/{id}`)
    /// or by exact name (`GET …/variablegroups?groupName=NAME`, https://learn.microsoft.com/en-us/rest/api/azure/devops/distributedtask/variablegroups/get-variable-groups?view=azure-devops-rest-7.1).
    /// The list is followed through `x-ms-continuationtoken`; a name that matches no group or
    /// several is an error, never a guess.
    func group(
        _ variable: AzureDevOpsVariable, id knownID: Int? = nil, target: Target, operation: String, logger: Logger
    ) async throws(TargetError) -> AzureDevOpsGroup {
        let collection = "/\(URLJoin.segment(variable.organization))/\(URLJoin.segment(variable.project))/_apis/distributedtask/variablegroups"
        if let id = knownID ?? variable.groupID {
            let response = try await send("GET", "\(collection)/\(id)", target: target, operation: operation, logger: logger)
            // A missing id answers 200 with an empty body (or `null`) rather than 404.
            guard response.status == 200 else { throw failure(response, target: target, variable: variable, operation: operation) }
            guard let object = response.jsonObject(), let group = AzureDevOpsGroup(object) else {
                throw notFound(variable, target: target, operation: operation)
            }
            return group
        }
        var matches: [AzureDevOpsGroup] = []
        var continuation: String?
        var pages = 0
        repeat {
            pages += 1
            guard pages <= PageWalk.defaultLimit else {
                throw TargetError(
                    provider: .azureDevOps, target: target.label, operation: operation, status: 200,
                    message: "the list of groups named '\(variable.group)' did not end after \(PageWalk.defaultLimit) pages"
                )
            }
            var query = "groupName=\(Self.queryValue(variable.group))"
            if let continuation { query += "&continuationToken=\(Self.queryValue(continuation))" }
            let response = try await send("GET", collection, query: query, target: target, operation: operation, logger: logger)
            guard response.status == 200 else { throw failure(response, target: target, variable: variable, operation: operation) }
            guard let object = response.jsonObject(), let items = object["value"] as? [[String: Any]] else {
                throw TargetError(
                    provider: .azureDevOps, target: target.label, operation: operation, status: 200,
                    message: "the answer is not a list of variable groups\(Self.signInHint(response))"
                )
            }
            matches += items.compactMap(AzureDevOpsGroup.init).filter { $0.name.lowercased() == variable.group.lowercased() }
            let next = response.header("x-ms-continuationtoken")?.trimmingCharacters(in: .whitespaces)
            continuation = (next?.isEmpty ?? true) || next == continuation ? nil : next
        } while continuation != nil
        guard let first = matches.first else { throw notFound(variable, target: target, operation: operation) }
        guard matches.count == 1 else {
            throw TargetError(
                provider: .azureDevOps, target: target.label, operation: operation, status: 200,
                message: "\(matches.count) variable groups are named '\(variable.group)' (ids \(matches.map { String($0.id) }.joined(separator: ", "))); give the group's numeric id in the plan"
            )
        }
        return first
    }

    private func notFound(_ variable: AzureDevOpsVariable, target: Target, operation: String) -> TargetError {
        TargetError(
            provider: .azureDevOps, target: target.label, operation: operation, status: 200,
            message: "no variable group '\(variable.group)' in \(variable.organization)/\(variable.project)",
            hint: "create the group (the bot never creates or deletes groups), or check that providers.azure_devops.token may read it"
        )
    }

    /// Turns a non-success answer into an error that says what failed and what to do.
    func failure(_ response: HTTPResponse, target: Target, variable: AzureDevOpsVariable, operation: String) -> TargetError {
        let message = Self.message(response)
        let credential = "providers.azure_devops.token"
        var hint: String?
        switch response.status {
        case 203, 401:
            // A PAT Azure DevOps does not accept gets 203 and a sign-in page, or 401.
            hint = "\(credential) was rejected: it is missing, expired or revoked, or not valid for the organization \(variable.organization)"
        case 403:
            hint = "\(credential) lacks permission: a PAT needs the Variable Groups (Read, create & manage) scope, and its user the Administrator role on the group"
        case 404:
            hint = "the organization \(variable.organization), the project \(variable.project) or the group does not exist, or \(credential) cannot see it"
        case 429:
            let retry = response.header("retry-after").map { "\($0)s" } ?? "a while"
            hint = "Azure DevOps rate limit (\(response.header("x-ratelimit-resource") ?? "TSTUs")); retry after \(retry)"
        default:
            break
        }
        return TargetError(
            provider: .azureDevOps, target: target.label, operation: operation, status: response.status, message: message, hint: hint,
            mayHaveWritten: response.status >= 500 || response.followsUncertainAttempt
        )
    }

    /// Azure DevOps' error body: `{"$id":"1","message":"TF…","typeKey":"…","errorCode":0,"eventId":3000}`.
    private static func message(_ response: HTTPResponse) -> String {
        guard let object = response.jsonObject(), let text = object["message"] as? String else {
            return response.bodySnippet + signInHint(response)
        }
        let typeKey = (object["typeKey"] as? String).map { " (\($0))" } ?? ""
        return HTTPResponse.quote(text) + typeKey
    }

    /// A 203 or an HTML body is Azure DevOps' sign-in page: the credential was not accepted.
    static func signInHint(_ response: HTTPResponse) -> String {
        let type = response.header("content-type") ?? ""
        return response.status == 203 || type.contains("text/html") ? " (a sign-in page: the credential was not accepted)" : ""
    }

    /// Percent-encodes a query value completely.
    static func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")) ?? text
    }
}
