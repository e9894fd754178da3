import Foundation

/// Every assumption about Envshed's API that its public documentation does not confirm, in one
/// place, so that a user who learns the real shape corrects it here and nowhere else.
/// `docs/envshed-api.md` lists the same items with what is documented and what is not.
///
/// Documented (SPEC §5): `POST /api/v1/service-tokens/{org}` with `name`, `scope`, `projectId`,
/// `permission`; `GET /api/v1/secrets/{org}/{project}/{env}` answering `{"secrets": {…}, …}`;
/// bearer auth. Everything else below is assumed, and decoded tolerantly.
enum EnvshedAPIAssumptions {
    // MARK: Methods and paths

    static let createMethod = "POST"
    /// Assumed: listing is a GET on the create path.
    static let listMethod = "GET"
    /// Assumed: revocation is a DELETE of the token's id under the create path.
    static let revokeMethod = "DELETE"
    static let pullMethod = "GET"

    static func createPath(org: String) -> String { "/api/v1/service-tokens/\(segment(org))" }
    /// Assumed: listing is a GET on the create path.
    static func listPath(org: String) -> String { "/api/v1/service-tokens/\(segment(org))" }
    /// Assumed: revocation is a DELETE of the token's id under the create path.
    static func revokePath(org: String, tokenID: String) -> String {
        "/api/v1/service-tokens/\(segment(org))/\(segment(tokenID))"
    }
    static func pullPath(org: String, project: String, environment: String) -> String {
        "/api/v1/secrets/\(segment(org))/\(segment(project))/\(segment(environment))"
    }

    // MARK: Create

    /// `description`, `environmentId` and `expiresInDays` are assumed names (the CLI has
    /// `--description`, `--environment-id`, `--expires-in <days>`).
    static func createBody(_ request: NewServiceToken) -> [String: Any] {
        var body: [String: Any] = [
            "name": request.name,
            "scope": request.scope.rawValue,
            "permission": request.permission.rawValue,
            "description": request.description,
            "expiresInDays": request.expiresInDays,
        ]
        if let projectID = request.projectID { body["projectId"] = projectID }
        if let environmentID = request.environmentID { body["environmentId"] = environmentID }
        return body
    }

    static let createSuccess: Set<Int> = [200, 201]
    /// Assumed: the create answer is the token object itself, or wraps it under one of these keys.
    static let createWrapperKeys = ["serviceToken", "service_token", "token", "data"]
    /// Assumed names of the field carrying the new token's value in the create answer.
    static let tokenValueFields = ["token", "value", "secret", "plainToken", "plain_token"]

    // MARK: List

    static let listSuccess: Set<Int> = [200]

    // MARK: List pagination

    /// Envshed documents no pagination (reference §8), so every common shape is followed: a
    /// `Link: <…>; rel="next"` header; a `next` URL or cursor, `nextCursor`, `cursor` or
    /// `endCursor`; or `page` with `totalPages`. These are read at the top of the answer and in a
    /// `pagination`, `meta`, `pageInfo` or `links` object. `total` / `totalCount` and
    /// `hasMore` / `hasNextPage` are checked against what was read: a list that says more follows
    /// but not where, or that is shorter than its stated total, is incomplete.
    static func listPage(_ json: Any, linkHeader: String?) -> EnvshedListPage {
        var page = EnvshedListPage(next: LinkHeader.target(linkHeader, relation: "next").map { EnvshedListPage.Next.link($0) }, total: nil, hasMore: false)
        guard let object = json as? [String: Any] else { return page }
        let containers = [object] + paginationContainers.compactMap { value(object, $0) as? [String: Any] }
        for container in containers {
            if page.next == nil { page.next = next(in: container) }
            if page.total == nil { page.total = ["total", "totalCount", "totalItems"].lazy.compactMap { integer(container, $0) }.first }
            for key in ["hasMore", "hasNextPage"] where value(container, key) as? Bool == true { page.hasMore = true }
        }
        return page
    }

    /// Where the cursor or page number of `EnvshedListPage.Next` goes: appended to `listPath`.
    static func listPath(org: String, after next: EnvshedListPage.Next) -> String? {
        switch next {
        case .link: nil
        case .cursor(let cursor): listPath(org: org) + "?cursor=" + queryValue(cursor)
        case .page(let number): listPath(org: org) + "?page=\(number)"
        }
    }

    private static let paginationContainers = ["pagination", "meta", "pageInfo", "links"]

    private static func next(in container: [String: Any]) -> EnvshedListPage.Next? {
        if let next = string(container, "next") {
            return next.hasPrefix("/") || next.lowercased().hasPrefix("http") ? .link(next) : .cursor(next)
        }
        if let url = string(container, "nextUrl") ?? string(container, "nextLink") { return .link(url) }
        if let cursor = ["nextCursor", "cursor", "endCursor"].lazy.compactMap({ string(container, $0) }).first { return .cursor(cursor) }
        if let number = integer(container, "nextPage") { return .page(number) }
        if let current = integer(container, "page"),
           let pages = integer(container, "totalPages") ?? integer(container, "pageCount") ?? integer(container, "lastPage"),
           current < pages
        {
            return .page(current + 1)
        }
        return nil
    }

    private static func integer(_ object: [String: Any], _ camelCase: String) -> Int? {
        switch value(object, camelCase) {
        case let number as Int: number
        case let text as String: Int(text)
        default: nil
        }
    }

    private static func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")) ?? text
    }

    // MARK: Token format

    /// Assumed: a service token is `envshed_svc_` followed by at least 8 ASCII letters and digits.
    /// Envshed documents only the prefix. The GitLab target's masking check (`validate`) reasons
    /// about this format, so a different real alphabet is corrected here and nowhere else.
    static let serviceTokenFormat = TokenFormat(
        prefix: "envshed_svc_",
        bodyAlphabet: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        minimumBodyLength: 8
    )

    // MARK: Revoke

    static let revokeSuccess: Set<Int> = [200, 202, 204]
    /// Assumed: a token unknown or already revoked answers 404 or 410. So does a route that does
    /// not exist (a wrong `revokePath`), so such an answer is only a claim: the revocation counts
    /// when the token list then shows the token revoked or absent, and fails otherwise.
    static let revokeMaybeGone: Set<Int> = [404, 410]

    /// Assumed: Envshed's API answers its own errors as JSON (`{"error": …}`), while a path that
    /// matches no route gets the web app's HTML "page not found". Used only to say, in the error,
    /// which of the two a 404 looked like; the token list decides whether the token is gone.
    static func looksLikeUnknownRoute(_ response: HTTPResponse) -> Bool {
        response.jsonObject() == nil
    }

    // MARK: Decoding

    /// A token object, with camelCase or snake_case field names. Nil without an id and a name.
    static func decodeToken(_ object: [String: Any]) -> ServiceToken? {
        guard let id = string(object, "id") ?? string(object, "tokenId"), let name = string(object, "name") else { return nil }
        return ServiceToken(
            id: id,
            name: name,
            description: string(object, "description"),
            scope: string(object, "scope").flatMap(TokenScope.init(rawValue:)),
            permission: string(object, "permission").flatMap(TokenPermission.init(rawValue:)),
            projectID: string(object, "projectId"),
            environmentID: string(object, "environmentId"),
            expiresAt: string(object, "expiresAt").flatMap(Timestamp.parse),
            createdAt: string(object, "createdAt").flatMap(Timestamp.parse)
        )
    }

    /// Assumed: a listed token is revoked when it carries a non-null `revokedAt` or `active: false`
    /// (the CLI's `update-service` mentions an "active status"). Such tokens are left out.
    static func isRevoked(_ object: [String: Any]) -> Bool {
        if let revoked = value(object, "revokedAt"), !(revoked is NSNull) { return true }
        if let active = value(object, "active") as? Bool, !active { return true }
        return false
    }

    /// The list: a bare array, or an object wrapping the array under one key
    /// (`serviceTokens`, `tokens`, `data`, …).
    static func tokenObjects(in json: Any) -> [[String: Any]]? {
        if let array = json as? [[String: Any]] { return array }
        guard let object = json as? [String: Any] else { return nil }
        for key in ["serviceTokens", "service_tokens", "tokens", "data", "items", "results"] {
            if let array = object[key] as? [[String: Any]] { return array }
        }
        let arrays = object.values.compactMap { $0 as? [[String: Any]] }
        return arrays.count == 1 ? arrays[0] : nil
    }

    /// Assumed error body: `{"error": "message"}`; `{"message": …}` is accepted too.
    static func errorMessage(_ response: HTTPResponse) -> String {
        guard let object = response.jsonObject() else { return response.bodySnippet }
        if let text = object["error"] as? String { return HTTPResponse.quote(text) }
        if let text = object["message"] as? String { return HTTPResponse.quote(text) }
        if let inner = object["error"] as? [String: Any], let text = inner["message"] as? String { return HTTPResponse.quote(text) }
        return response.bodySnippet
    }

    // MARK: Helpers

    static func value(_ object: [String: Any], _ camelCase: String) -> Any? {
        if let found = object[camelCase] { return found }
        return object[snakeCase(camelCase)]
    }

    static func string(_ object: [String: Any], _ camelCase: String) -> String? {
        switch value(object, camelCase) {
        case let text as String: text.isEmpty ? nil : text
        case let number as Int: String(number)
        default: nil
        }
    }

    static func snakeCase(_ camelCase: String) -> String {
        var result = ""
        for character in camelCase {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    private static func segment(_ text: String) -> String { URLJoin.segment(text) }
}
