import Foundation
import Logging
import Testing

@testable import RotatorCore

/// Every list the tool reads is read whole or not at all. The decoders are checked against an
/// oracle: a list cut into pages by a fake server, in each shape the client claims to follow,
/// decodes to exactly the list that was cut. Lists that cannot have been read whole must fail.
@Suite("Pagination: Envshed, GitHub and GitLab lists are read whole, or the read fails")
struct PaginationTests {
    static let base = URL(string: "https://envshed.test")!
    static let logger = Logger(label: "pagination-tests")

    /// The shapes of Envshed list pages the client follows (docs/envshed-api.md, "Pagination").
    enum Shape: CaseIterable, Sendable {
        case cursorField, nestedCursor, linkHeaderAbsolute, linkHeaderRelative, nextURLField, pageNumbers, bareArrayWithLink
    }

    // MARK: - Link header

    @Test("Link: the rel=next target among several links, quoted or not, relation lists included")
    func linkHeader() {
        let github = #"<https://api.github.com/orgs/acme/actions/secrets/X/repositories?per_page=100&page=2>; rel="next", <https://api.github.com/orgs/acme/actions/secrets/X/repositories?per_page=100&page=3>; rel="last""#
        #expect(LinkHeader.target(github, relation: "next") == "https://api.github.com/orgs/acme/actions/secrets/X/repositories?per_page=100&page=2")
        #expect(LinkHeader.target(github, relation: "last")?.hasSuffix("page=3") == true)
        #expect(LinkHeader.target(github, relation: "prev") == nil)
        #expect(LinkHeader.target(#"</a?page=1>; rel="prev first", </a?page=3>; rel=next"#, relation: "next") == "/a?page=3")
        #expect(LinkHeader.target(#"</a?page=1>; rel="prev first""#, relation: "first") == "/a?page=1")
        #expect(LinkHeader.target(nil, relation: "next") == nil)
        #expect(LinkHeader.target("garbage", relation: "next") == nil)
    }

    // MARK: - Envshed oracle

    @Test("Envshed: a list cut into pages in each shape decodes to the list that was cut", arguments: Shape.allCases)
    func envshedOracle(shape: Shape) async throws {
        for seed in UInt64(1)...25 {
            var random = SplitMix64(seed: seed &* 7919)
            let count = Int(random.next() % 120)
            let pageSize = 1 + Int(random.next() % 30)
            let tokens = (0..<count).map { index in Self.tokenObject(index: index, revoked: random.next() % 5 == 0) }
            let server = FakeEnvshedList(tokens: tokens, pageSize: pageSize, shape: shape)
            let client = EnvshedClient(transport: server, baseURL: Self.base, org: "acme", credential: Secret("envshed_admin"))
            let listed = try await client.listTokens(logger: Self.logger)
            let expected = tokens.filter { $0["revokedAt"] is NSNull || $0["revokedAt"] == nil }.map { $0["id"] as! String }
            #expect(listed.map(\.id) == expected, "seed \(seed), shape \(shape), \(count) tokens, \(pageSize) a page")
            #expect(server.pagesServed == max(1, (count + pageSize - 1) / pageSize), "seed \(seed), shape \(shape)")
        }
    }

    @Test("Envshed: a page that says more follows but not where, or a total larger than what was read, is an incomplete list")
    func envshedTruncated() async throws {
        let tokens = (0..<5).map { Self.tokenObject(index: $0, revoked: false) }
        let hasMoreBody = Self.body(["serviceTokens": tokens, "hasMore": true])
        let hasMore = ScriptedTransport { _ in HTTPResponse(status: 200, body: hasMoreBody) }
        await Self.expectIncomplete(hasMore, containing: "more tokens follow")
        let shortBody = Self.body(["serviceTokens": tokens, "total": 6])
        let short = ScriptedTransport { _ in HTTPResponse(status: 200, body: shortBody) }
        await Self.expectIncomplete(short, containing: "states 6 tokens but its pages hold 5")
        let nestedBody = Self.body(["data": tokens, "meta": ["totalCount": 9]])
        let nestedShort = ScriptedTransport { _ in HTTPResponse(status: 200, body: nestedBody) }
        await Self.expectIncomplete(nestedShort, containing: "states 9 tokens")
    }

    @Test("Envshed: a next link that repeats, leaves the API, or never ends stops the walk with an error")
    func envshedLoops() async throws {
        let pages = CallCounter()
        let repeating = ScriptedTransport { _ in
            Self.json(["serviceTokens": [Self.tokenObject(index: pages.next(), revoked: false)], "nextCursor": "same"])
        }
        await Self.expectIncomplete(repeating, containing: "points back at a page already read")
        let again = ScriptedTransport { _ in Self.json(["serviceTokens": [Self.tokenObject(index: 1, revoked: false)], "nextCursor": "c\(pages.next())"]) }
        await Self.expectIncomplete(again, containing: "listed on two pages")
        let tokensBody = Self.body(["serviceTokens": (0..<3).map { Self.tokenObject(index: $0, revoked: false) }])
        let counter = CallCounter()
        let endless = ScriptedTransport { _ in
            let page = counter.next()
            return Self.json(["serviceTokens": [Self.tokenObject(index: page, revoked: false)], "nextCursor": "c\(page)"])
        }
        await Self.expectIncomplete(endless, containing: "more than \(PageWalk.defaultLimit) pages")
        let elsewhere = ScriptedTransport { _ in
            HTTPResponse(status: 200, headers: ["Link": #"<https://evil.test/api/v1/service-tokens/acme?page=2>; rel="next""#], body: tokensBody)
        }
        await Self.expectIncomplete(elsewhere, containing: "leaves envshed.test")
    }

    // MARK: - Envshed revocation

    @Test("Envshed revoke: a 404 counts as done only when the list shows the token revoked or absent")
    func revokeNeedsProof() async throws {
        let live = Self.tokenObject(index: 1, revoked: false)
        let revoked = Self.tokenObject(index: 2, revoked: true)
        let listBody = Self.body(["serviceTokens": [live, revoked]])
        let notFoundHTML = HTTPResponse(status: 404, headers: ["Content-Type": "text/html"], body: Data("<html>404: This page could not be found</html>".utf8))
        let notFoundJSON = HTTPResponse(status: 404, body: Data(#"{"error":"Service token not found"}"#.utf8))
        func client(revokeAnswer: HTTPResponse) -> EnvshedClient {
            let transport = ScriptedTransport { request in
                request.method == "DELETE" ? revokeAnswer : HTTPResponse(status: 200, body: listBody)
            }
            return EnvshedClient(transport: transport, baseURL: Self.base, org: "acme", credential: Secret("envshed_admin"))
        }
        // Still listed live: the 404 proves nothing (a wrong route answers 404 too).
        for answer in [notFoundHTML, notFoundJSON] {
            do {
                _ = try await client(revokeAnswer: answer).revoke(tokenID: live["id"] as! String, logger: Self.logger)
                Issue.record("a 404 for a token the list shows live was counted as revoked")
            } catch {
                guard case .revocationUnproven(let id, 404, let unknownRoute) = error else {
                    Issue.record("unexpected error \(error)")
                    continue
                }
                #expect(id == live["id"] as? String)
                #expect(unknownRoute == (answer.jsonObject() == nil))
                #expect("\(error)".contains("not counted as revoked"))
            }
        }
        #expect(try await client(revokeAnswer: notFoundJSON).revoke(tokenID: revoked["id"] as! String, logger: Self.logger) == false)
        #expect(try await client(revokeAnswer: notFoundHTML).revoke(tokenID: "never-existed", logger: Self.logger) == false)
        #expect(try await client(revokeAnswer: HTTPResponse(status: 204)).revoke(tokenID: live["id"] as! String, logger: Self.logger) == true)
    }

    @Test("Envshed create: an answer without expiresAt is completed from the list (every page), and a failing list leaves it unknown")
    func createReadsExpiryFromList() async throws {
        let createdBody = Self.body(["id": "new-token", "name": "n", "token": "envshed_svc_abcdefghijkl"])
        let firstPage = Self.body(["serviceTokens": [Self.tokenObject(index: 1, revoked: false)], "nextCursor": "c2"])
        var listed = Self.tokenObject(index: 2, revoked: false)
        listed["id"] = "new-token"
        listed["expiresAt"] = "2027-01-31T00:00:00Z"
        let secondPage = Self.body(["serviceTokens": [listed], "nextCursor": NSNull()])
        let request = NewServiceToken(name: "n", description: "d", scope: .org, projectID: nil, environmentID: nil, permission: .read, expiresInDays: 30)
        for listWorks in [true, false] {
            let transport = ScriptedTransport { request in
                if request.method == "POST" { return HTTPResponse(status: 201, body: createdBody) }
                guard listWorks else { return HTTPResponse(status: 503) }
                return HTTPResponse(status: 200, body: request.url.query == nil ? firstPage : secondPage)
            }
            let client = EnvshedClient(transport: transport, baseURL: Self.base, org: "acme", credential: Secret("envshed_admin"))
            let created = try await client.create(request, logger: Self.logger)
            #expect(created.token.id == "new-token")
            #expect(created.token.expiresAt == (listWorks ? Timestamp.parse("2027-01-31T00:00:00Z") : nil))
        }
    }

    // MARK: - GitHub

    @Test("GitHub: selected repositories are read with per_page=100 through every Link page; a short total_count fails")
    func githubRepositories() async throws {
        let base = URL(string: "https://api.github.test")!
        for total in [0, 1, 99, 100, 101, 250] {
            let names = (0..<total).map { "acme/repo-\($0)" }
            let requested = RequestedURLs()
            let transport = ScriptedTransport { request in
                requested.add(request.url)
                let query = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems ?? []
                let perPage = Int(query.first { $0.name == "per_page" }?.value ?? "30")!
                let page = Int(query.first { $0.name == "page" }?.value ?? "1")!
                let slice = names.dropFirst((page - 1) * perPage).prefix(perPage)
                var headers: [String: String] = [:]
                if page * perPage < total {
                    headers["Link"] = "<\(base.absoluteString)/orgs/acme/actions/secrets/T/repositories?per_page=\(perPage)&page=\(page + 1)>; rel=\"next\""
                }
                return HTTPResponse(status: 200, headers: headers, body: Self.body(["total_count": total, "repositories": slice.map { ["full_name": $0] }]))
            }
            let client = GitHubClient(transport: transport, baseURL: base, credential: Secret("ghp_x"))
            let items = try await client.listAll("/orgs/acme/actions/secrets/T/repositories", itemsKey: "repositories", target: Self.target, operation: "list", logger: Self.logger)
            #expect(items.compactMap { $0["full_name"] as? String } == names, "\(total) repositories")
            #expect(requested.urls.first?.query == "per_page=100")
            #expect(requested.urls.count == max(1, (total + 99) / 100))
        }
        let short = ScriptedTransport { _ in Self.json(["total_count": 101, "repositories": [["full_name": "acme/a"]]]) }
        let client = GitHubClient(transport: short, baseURL: base, credential: Secret("ghp_x"))
        await #expect(throws: TargetError.self) {
            _ = try await client.listAll("/orgs/acme/actions/secrets/T/repositories", itemsKey: "repositories", target: Self.target, operation: "list", logger: Self.logger)
        }
    }

    // MARK: - GitLab

    @Test("GitLab: a list is read through x-next-page or Link pages; fewer items than x-total fails")
    func gitlabList() async throws {
        let base = URL(string: "https://gitlab.test/api/v4")!
        let variable = GitLabVariable(owner: .group("acme"), key: "K", environmentScope: "production", masked: true, protected: false, raw: true, hidden: false)
        for useLink in [false, true] {
            for total in [0, 5, 100, 101, 333] {
                let keys = (0..<total).map { "KEY_\($0)" }
                let transport = ScriptedTransport { request in
                    let query = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems ?? []
                    let perPage = Int(query.first { $0.name == "per_page" }?.value ?? "20")!
                    let page = Int(query.first { $0.name == "page" }?.value ?? "1")!
                    let slice = keys.dropFirst((page - 1) * perPage).prefix(perPage)
                    let more = page * perPage < total
                    var headers = ["x-total": String(total), "x-next-page": more ? String(page + 1) : ""]
                    if useLink, more {
                        headers["Link"] = "<https://gitlab.test/api/v4/groups/acme/variables?page=\(page + 1)&per_page=\(perPage)>; rel=\"next\""
                        headers["x-next-page"] = ""
                    }
                    return HTTPResponse(status: 200, headers: headers, body: try! JSONSerialization.data(withJSONObject: slice.map { ["key": $0] }))
                }
                let client = GitLabClient(transport: transport, baseURL: base, credential: Secret("glpat-x"), authentication: .privateToken)
                let items = try await client.listAll("/groups/acme/variables", target: Self.target, variable: variable, operation: "list", logger: Self.logger)
                #expect(items.compactMap { $0["key"] as? String } == keys, "\(total) variables, link \(useLink)")
            }
        }
        let short = ScriptedTransport { _ in
            HTTPResponse(status: 200, headers: ["x-total": "3", "x-next-page": ""], body: Data(#"[{"key":"A"}]"#.utf8))
        }
        let client = GitLabClient(transport: short, baseURL: base, credential: Secret("glpat-x"), authentication: .privateToken)
        do {
            _ = try await client.listAll("/groups/acme/variables", target: Self.target, variable: variable, operation: "list", logger: Self.logger)
            Issue.record("a list shorter than x-total was accepted")
        } catch {
            #expect(error.message.contains("x-total 3"))
        }
    }

    // MARK: - Helpers

    static let target = Target(kind: .file(FileDestination(path: "/tmp/x", mode: 0o600, owner: nil, then: [])), location: RotatorCore.SourceLocation(file: "plan.yaml", line: 1, column: 1))

    static func tokenObject(index: Int, revoked: Bool) -> [String: Any] {
        [
            "id": String(format: "00000000-0000-4000-8000-%012d", index),
            "name": "token \(index)",
            "description": "managed-by=envshed-rotator rotation=r serial=\(index)",
            "scope": "org", "permission": "read",
            "revokedAt": revoked ? "2026-01-01T00:00:00Z" : NSNull(),
        ]
    }

    static func body(_ object: Any) -> Data {
        try! JSONSerialization.data(withJSONObject: object)
    }

    static func json(_ object: Any) -> HTTPResponse {
        HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: body(object))
    }

    static func expectIncomplete(_ transport: some HTTPTransport, containing text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) async {
        let client = EnvshedClient(transport: transport, baseURL: base, org: "acme", credential: Secret("envshed_admin"))
        do {
            let tokens = try await client.listTokens(logger: logger)
            Issue.record("an incomplete list was accepted (\(tokens.count) tokens)", sourceLocation: sourceLocation)
        } catch {
            guard case .incompleteList(_, let problem) = error else {
                Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
                return
            }
            #expect(text.isEmpty || problem.contains(text), "\(problem)", sourceLocation: sourceLocation)
        }
    }
}
