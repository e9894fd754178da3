import CSodium
import Foundation
import RotatorEmulators
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The emulators are what the integration tests and `demo` trust, so they are tested first:
/// over real HTTP on loopback, with statuses and bodies as the documented services give them.
@Suite("Emulators answer like the services they stand for", .timeLimit(.minutes(5)))
struct EmulatorSelfTests {
    // MARK: - Controls

    @Test("apply-then-answer: the create takes effect, the client is told 500; every observer sees every request in both phases")
    func applyThenAnswerAndSeveralObservers() async throws {
        let emulator = EnvshedEmulator(org: "acme", adminToken: "envshed_admin_token")
        emulator.addProject(slug: "web", id: "11111111-1111-1111-1111-111111111111")
        emulator.addEnvironment(project: "web", slug: "production", id: "22222222-2222-2222-2222-222222222222", secrets: [:])
        let first = Mutex<[String]>([])
        let second = Mutex<[String]>([])
        emulator.observe { request in first.withLock { $0.append("\(request.phase) \(request.status ?? 0) \(request.answered ?? 0)") } }
        emulator.observe { request in second.withLock { $0.append("\(request.phase) \(request.status ?? 0) \(request.answered ?? 0)") } }
        emulator.inject(.applyThenAnswer(500, method: "POST", headers: ["Retry-After": "3"]))
        try await running(try await emulator.start()) { server in
            let client = HTTPClient(base: server.baseURL, headers: ["Authorization": "Bearer envshed_admin_token"])
            let create: [String: Any] = [
                "name": "ci-production", "scope": "environment", "projectId": "11111111-1111-1111-1111-111111111111",
                "environmentId": "22222222-2222-2222-2222-222222222222", "permission": "read", "expiresInDays": 90,
            ]
            let answered = try await client.send("POST", "/api/v1/service-tokens/acme", json: create)
            #expect(answered.status == 500)
            #expect(emulator.tokens.count == 1 && emulator.tokens.first?.isLive == true, "the create took effect although the client was told 500")
        }
        let expected = ["received 0 0", "handled 201 500"]
        #expect(first.withLock { $0 } == expected)
        #expect(second.withLock { $0 } == expected)
    }

    // MARK: - Envshed

    @Test("Envshed: create, list, pull, revoke, then the revoked token is refused")
    func envshedTokenLifecycle() async throws {
        let emulator = EnvshedEmulator(org: "acme", adminToken: "envshed_admin_token")
        emulator.addProject(slug: "web", id: "11111111-1111-1111-1111-111111111111")
        emulator.addEnvironment(
            project: "web",
            slug: "production",
            id: "22222222-2222-2222-2222-222222222222",
            secrets: ["DATABASE_URL": "postgres://db", "EMPTY": ""]
        )
        emulator.addEnvironment(
            project: "web",
            slug: "staging",
            id: "33333333-3333-3333-3333-333333333333",
            secrets: [:]
        )
        try await running(try await emulator.start()) { server in
            #expect((server.baseURL.port ?? 0) > 0)
            let client = HTTPClient(base: server.baseURL, headers: ["Authorization": "Bearer envshed_admin_token"])

            let create: [String: Any] = [
                "name": "ci-production", "scope": "environment",
                "projectId": "11111111-1111-1111-1111-111111111111",
                "environmentId": "22222222-2222-2222-2222-222222222222",
                "permission": "read", "description": "CI", "expiresInDays": 90,
            ]
            let created = try await client.send("POST", "/api/v1/service-tokens/acme", json: create)
            #expect(created.status == 201)
            let token = try #require(created.object["token"] as? String)
            let id = try #require(created.object["id"] as? String)
            #expect(token.hasPrefix("envshed_svc_") && token.count == "envshed_svc_".count + 40)
            #expect(id == id.lowercased() && UUID(uuidString: id) != nil)
            let expiresAt = try #require(created.object["expiresAt"] as? String)
            #expect(expiresAt.hasSuffix("Z") && !expiresAt.contains("."))
            #expect(emulator.token(id: id)?.isLive == true)

            let duplicate = try await client.send("POST", "/api/v1/service-tokens/acme", json: create)
            #expect(duplicate.status == 409)
            #expect(duplicate.object["error"] as? String == "A service token named 'ci-production' already exists")

            let list = try await client.send("GET", "/api/v1/service-tokens/acme")
            #expect(list.status == 200)
            let listed = try #require(list.object["serviceTokens"] as? [[String: Any]])
            #expect(listed.count == 1)
            #expect(listed.first?["id"] as? String == id)
            #expect(listed.first?["token"] == nil)
            #expect(listed.first?["revokedAt"] is NSNull)

            let service = HTTPClient(base: server.baseURL, headers: ["Authorization": "Bearer \(token)"])
            let pull = try await service.send("GET", "/api/v1/secrets/acme/web/production")
            #expect(pull.status == 200)
            #expect((pull.object["secrets"] as? [String: String]) == ["DATABASE_URL": "postgres://db", "EMPTY": ""])
            #expect(pull.object["version"] as? Int == 1)
            #expect((pull.object["placeholders"] as? [Any])?.isEmpty == true)

            let outOfScope = try await service.send("GET", "/api/v1/secrets/acme/web/staging")
            #expect(outOfScope.status == 403)
            let unknownEnvironment = try await service.send("GET", "/api/v1/secrets/acme/web/nope")
            #expect(unknownEnvironment.status == 404)
            #expect(unknownEnvironment.object["error"] as? String == "Environment 'nope' not found")
            let managing = try await service.send("GET", "/api/v1/service-tokens/acme")
            #expect(managing.status == 403)
            #expect(managing.object["error"] as? String == "Service tokens cannot manage service tokens")

            let revoke = try await client.send("DELETE", "/api/v1/service-tokens/acme/\(id)")
            #expect(revoke.status == 204)
            let revokeAgain = try await client.send("DELETE", "/api/v1/service-tokens/acme/\(id)")
            #expect(revokeAgain.status == 404)
            #expect(revokeAgain.object["error"] as? String == "Service token not found")
            let refused = try await service.send("GET", "/api/v1/secrets/acme/web/production")
            #expect(refused.status == 401)
            #expect(refused.object["error"] as? String == "Token revoked")
            #expect(emulator.token(id: id)?.revokedAt != nil)
            #expect(emulator.token(id: id)?.isLive == false)

            let statuses = emulator.requests.map(\.status)
            #expect(statuses == [201, 409, 200, 200, 403, 404, 403, 204, 404, 401])
            #expect(emulator.requests.filter(\.isWrite).count == 4)
        }
    }

    @Test("Envshed: authentication, validation and unknown routes")
    func envshedRejections() async throws {
        let emulator = EnvshedEmulator(org: "acme", adminToken: "admin")
        emulator.addProject(slug: "web", id: "p-1")
        emulator.addEnvironment(project: "web", slug: "prod", id: "e-1", secrets: ["A": "1"])
        let expired = emulator.seedToken(
            name: "old",
            scope: "org",
            projectID: nil,
            environmentID: nil,
            permission: "read",
            expiresAt: Date().addingTimeInterval(-60)
        )
        try await running(try await emulator.start()) { server in
            let admin = HTTPClient(base: server.baseURL, headers: ["Authorization": "Bearer admin"])
            let anonymous = HTTPClient(base: server.baseURL, headers: [:])

            #expect(try await anonymous.send("GET", "/api/v1/service-tokens/acme").status == 401)
            let expiredPull = try await HTTPClient(
                base: server.baseURL,
                headers: ["Authorization": "Bearer \(expired.value)"]
            ).send("GET", "/api/v1/secrets/acme/web/prod")
            #expect(expiredPull.status == 401)
            #expect(expiredPull.object["error"] as? String == "Token expired")

            // Expired but not revoked: still listed.
            let list = try await admin.send("GET", "/api/v1/service-tokens/acme")
            #expect((list.object["serviceTokens"] as? [[String: Any]])?.count == 1)

            let otherOrg = try await admin.send("GET", "/api/v1/service-tokens/other")
            #expect(otherOrg.status == 404)
            #expect(otherOrg.object["error"] as? String == "Organization 'other' not found")

            let base: [String: Any] = ["name": "t", "scope": "project", "projectId": "p-1", "permission": "read"]
            let cases: [([String: Any], Int)] = [
                (base.merging(["expiresInDays": 0]) { $1 }, 400),
                (base.merging(["expiresInDays": 366]) { $1 }, 400),
                (base.merging(["permission": "write"]) { $1 }, 400),
                (base.merging(["scope": "team"]) { $1 }, 400),
                (base.merging(["name": ""]) { $1 }, 400),
                (base.merging(["name": String(repeating: "n", count: 101)]) { $1 }, 400),
                (base.merging(["projectId": "p-unknown"]) { $1 }, 404),
                (base.merging(["scope": "environment", "environmentId": "e-unknown"]) { $1 }, 404),
                (base.merging(["scope": "environment"]) { $1 }, 400),
                (base.merging(["expires_in_days": 30]) { $1 }, 400),
                (base, 201),
            ]
            for (body, status) in cases {
                let answer = try await admin.send("POST", "/api/v1/service-tokens/acme", json: body)
                #expect(answer.status == status, "\(body)")
            }
            let notJSON = try await admin.send("POST", "/api/v1/service-tokens/acme", body: Data("[1]".utf8))
            #expect(notJSON.status == 400)
            #expect(notJSON.object["error"] as? String == "Invalid JSON body")

            let unknown = try await admin.send("GET", "/api/v1/nothing")
            #expect(unknown.status == 404)
            #expect(unknown.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect((try? JSONSerialization.jsonObject(with: unknown.body)) == nil, "an unknown route is not an API answer")
        }
    }

    /// Envshed documents no revoke endpoint and no error body (reference: envshed-api.md §5.4, §6;
    /// https://dev.docs.envshed.com/cli/token documents only `envshed token revoke-service`). The
    /// emulator follows the project's assumption (docs/envshed-api.md, "Revoke a service token"):
    /// an unknown token is the API's JSON 404, a path outside the API is the web app's HTML 404.
    @Test("Envshed: an unknown route answers differently from an unknown token; with the revoke route gone, DELETE is an unknown route")
    func envshedUnknownRouteVersusUnknownToken() async throws {
        let emulator = EnvshedEmulator(org: "acme", adminToken: "admin")
        let live = emulator.seedToken(name: "t", scope: "org", projectID: nil, environmentID: nil, permission: "read", expiresAt: nil)
        try await running(try await emulator.start()) { server in
            let admin = HTTPClient(base: server.baseURL, headers: ["Authorization": "Bearer admin"])
            let unknownToken = try await admin.send("DELETE", "/api/v1/service-tokens/acme/no-such-token")
            #expect(unknownToken.status == 404)
            #expect(unknownToken.object["error"] as? String == "Service token not found")
            #expect(unknownToken.object["code"] as? String == "service_token_not_found")
            let unknownRoute = try await admin.send("DELETE", "/api/v1/service-token/acme/\(live.id)")
            #expect(unknownRoute.status == 404)
            #expect(unknownRoute.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect(unknownRoute.object.isEmpty)

            emulator.setRevokeRoute(exists: false)
            let moved = try await admin.send("DELETE", "/api/v1/service-tokens/acme/\(live.id)")
            #expect(moved.status == 404 && moved.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect(emulator.token(id: live.id)?.revokedAt == nil, "nothing was revoked")
        }
    }

    /// Envshed documents no pagination (reference: envshed-api.md §8); the emulator pages in each
    /// shape the client follows (docs/envshed-api.md, "List service tokens"), and a cursor walk
    /// stays exact while tokens are revoked between pages.
    @Test("Envshed: the token list pages by cursor, by Link header and by page numbers", arguments: [EnvshedListPagination.cursor, .linkHeader, .pageNumbers])
    func envshedPagination(style: EnvshedListPagination) async throws {
        let emulator = EnvshedEmulator(org: "acme", adminToken: "admin")
        let seeded = (0..<47).map { index in
            emulator.seedToken(name: "t\(index)", scope: "org", projectID: nil, environmentID: nil, permission: "read", expiresAt: nil).id
        }
        emulator.paginateList(style, pageSize: 10)
        try await running(try await emulator.start()) { server in
            let admin = HTTPClient(base: server.baseURL, headers: ["Authorization": "Bearer admin"])
            var ids: [String] = []
            var path = "/api/v1/service-tokens/acme"
            var pages = 0
            while true {
                let page = try await admin.send("GET", path)
                #expect(page.status == 200)
                let items = try #require(page.object["serviceTokens"] as? [[String: Any]])
                #expect(items.count <= 10)
                ids += items.compactMap { $0["id"] as? String }
                pages += 1
                switch style {
                case .cursor:
                    #expect(page.object["total"] as? Int == 47)
                    guard let cursor = page.object["nextCursor"] as? String else { break }
                    path = "/api/v1/service-tokens/acme?cursor=\(cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? cursor)"
                    continue
                case .linkHeader:
                    guard let link = page.header("Link") else { break }
                    #expect(link.hasSuffix("rel=\"next\""))
                    path = String(link.dropFirst().prefix { $0 != ">" })
                    continue
                case .pageNumbers:
                    #expect(page.object["totalPages"] as? Int == 5 && page.object["total"] as? Int == 47)
                    let number = try #require(page.object["page"] as? Int)
                    guard number < 5 else { break }
                    path = "/api/v1/service-tokens/acme?page=\(number + 1)"
                    continue
                }
                break
            }
            #expect(ids == seeded)
            #expect(pages == 5)
            let tooBig = try await admin.send("GET", "/api/v1/service-tokens/acme?\(style == .linkHeader ? "per_page" : "limit")=1000")
            #expect((tooBig.object["serviceTokens"] as? [[String: Any]])?.count == 47, "at most \(EnvshedEmulator.maximumPageSize) a page")
        }
    }

    @Test("Envshed: a cursor walk neither repeats nor skips a token while others are created and revoked between pages")
    func envshedCursorIsStable() async throws {
        let emulator = EnvshedEmulator(org: "acme", adminToken: "admin")
        let seeded = (0..<30).map { index in
            emulator.seedToken(name: "t\(index)", scope: "org", projectID: nil, environmentID: nil, permission: "read", expiresAt: nil).id
        }
        emulator.paginateList(.cursor, pageSize: 10)
        try await running(try await emulator.start()) { server in
            let admin = HTTPClient(base: server.baseURL, headers: ["Authorization": "Bearer admin"])
            let first = try await admin.send("GET", "/api/v1/service-tokens/acme")
            let cursor = try #require(first.object["nextCursor"] as? String)
            // Revoke one already read and one not yet read; create one more.
            #expect(try await admin.send("DELETE", "/api/v1/service-tokens/acme/\(seeded[2])").status == 204)
            #expect(try await admin.send("DELETE", "/api/v1/service-tokens/acme/\(seeded[15])").status == 204)
            let added = emulator.seedToken(name: "late", scope: "org", projectID: nil, environmentID: nil, permission: "read", expiresAt: nil).id
            var ids = (first.object["serviceTokens"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            var next: String? = cursor
            while let current = next {
                let page = try await admin.send("GET", "/api/v1/service-tokens/acme?cursor=\(current.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? current)")
                ids += (page.object["serviceTokens"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                next = page.object["nextCursor"] as? String
            }
            #expect(ids == Array(seeded[0..<15]) + Array(seeded[16...]) + [added])
        }
    }

    @Test("Envshed: injected faults come first, after the skipped requests, then stop")
    func envshedFaults() async throws {
        let emulator = EnvshedEmulator(org: "acme", adminToken: "admin")
        emulator.inject(
            InjectedFault(
                method: "GET",
                pathContains: "/service-tokens/",
                status: 429,
                headers: ["Retry-After": "2"],
                skip: 1
            )
        )
        try await running(try await emulator.start()) { server in
            let admin = HTTPClient(base: server.baseURL, headers: ["Authorization": "Bearer admin"])
            #expect(try await admin.send("GET", "/api/v1/service-tokens/acme").status == 200)
            let limited = try await admin.send("GET", "/api/v1/service-tokens/acme")
            #expect(limited.status == 429)
            #expect(limited.header("Retry-After") == "2")
            #expect(limited.object["error"] as? String == "Too Many Requests")
            #expect(try await admin.send("GET", "/api/v1/service-tokens/acme").status == 200)
            #expect(emulator.requests.map(\.status) == [200, 429, 200])
        }
    }

    // MARK: - GitHub

    @Test("GitHub: a sealed PUT decrypts; stale or foreign keys are refused")
    func gitHubSealedSecrets() async throws {
        let emulator = GitHubEmulator(acceptedTokens: ["ghp_test"])
        emulator.addRepository("Acme/Web", id: 42, environments: ["prod/eu"])
        try await running(try await emulator.start()) { server in
            let client = HTTPClient(base: server.baseURL, headers: Self.gitHubHeaders)

            let key = try await client.send("GET", "/repos/acme/web/actions/secrets/public-key")
            #expect(key.status == 200)
            let keyID = try #require(key.object["key_id"] as? String)
            let publicKey = try #require((key.object["key"] as? String).flatMap { Data(base64Encoded: $0) })
            #expect(publicKey.count == 32 && UInt64(keyID) != nil)
            #expect(key.header("x-ratelimit-limit") == "5000")
            #expect(key.header("x-ratelimit-remaining") == "4999")
            #expect(key.header("x-github-request-id") != nil)

            let path = "/repos/acme/web/actions/secrets/envshed_token"
            let first = try await client.send(
                "PUT",
                path,
                json: ["encrypted_value": Self.seal("s3cret", for: publicKey), "key_id": keyID]
            )
            #expect(first.status == 201)
            #expect(first.body == Data("{}".utf8))
            #expect(emulator.secretValue(repository: "acme/web", name: "ENVSHED_TOKEN") == "s3cret")
            let second = try await client.send(
                "PUT",
                path,
                json: ["encrypted_value": Self.seal("n3w", for: publicKey), "key_id": keyID]
            )
            #expect(second.status == 204)
            #expect(emulator.secretValue(repository: "Acme/Web", name: "envshed_token") == "n3w")

            let metadata = try await client.send("GET", path)
            #expect(metadata.status == 200)
            #expect(metadata.object["name"] as? String == "ENVSHED_TOKEN")
            let updatedAt = try #require(metadata.object["updated_at"] as? String)
            #expect(updatedAt.hasSuffix("Z") && !updatedAt.contains("."))
            #expect(try await client.send("GET", "/repos/acme/web/actions/secrets/NOPE").status == 404)

            let wrongKeyID = try await client.send(
                "PUT",
                path,
                json: ["encrypted_value": Self.seal("x", for: publicKey), "key_id": "123"]
            )
            #expect(wrongKeyID.status == 422)
            #expect(
                wrongKeyID.object["message"] as? String
                    == "Bad request - validation failed due to an improperly encrypted secret"
            )

            // Environment scope: its own key; the name arrives with its slash encoded.
            let environmentKey = try await client.send(
                "GET",
                "/repos/acme/web/environments/prod%2Feu/secrets/public-key"
            )
            #expect(environmentKey.status == 200)
            let environmentKeyID = try #require(environmentKey.object["key_id"] as? String)
            #expect(environmentKeyID != keyID)
            let environmentPath = "/repos/acme/web/environments/prod%2Feu/secrets/ENVSHED_TOKEN"
            let foreign = try await client.send(
                "PUT",
                environmentPath,
                json: ["encrypted_value": Self.seal("x", for: publicKey), "key_id": environmentKeyID]
            )
            #expect(foreign.status == 422)
            let environmentPublicKey = try #require(
                (environmentKey.object["key"] as? String).flatMap { Data(base64Encoded: $0) }
            )
            let environmentPut = try await client.send(
                "PUT",
                environmentPath,
                json: [
                    "encrypted_value": Self.seal("env-value", for: environmentPublicKey), "key_id": environmentKeyID,
                ]
            )
            #expect(environmentPut.status == 201)
            #expect(
                emulator.secretValue(repository: "acme/web", environment: "prod/eu", name: "ENVSHED_TOKEN")
                    == "env-value"
            )

            // After a key rotation, the old key id is stale.
            emulator.rotatePublicKey(repository: "acme/web")
            let stale = try await client.send(
                "PUT",
                path,
                json: ["encrypted_value": Self.seal("x", for: publicKey), "key_id": keyID]
            )
            #expect(stale.status == 422)
            #expect(emulator.secretValue(repository: "acme/web", name: "ENVSHED_TOKEN") == "n3w")

            #expect(emulator.writes.map(\.status) == [201, 204, 422, 422, 201, 422])
            #expect(emulator.writes[4].environment == "prod/eu")
        }
    }

    @Test("GitHub: headers, names and bodies are validated like GitHub does")
    func gitHubRejections() async throws {
        let emulator = GitHubEmulator(acceptedTokens: ["ghp_test"])
        emulator.addRepository("acme/web", id: 1)
        try await running(try await emulator.start()) { server in
            let keyPath = "/repos/acme/web/actions/secrets/public-key"

            var headers = Self.gitHubHeaders
            headers["Authorization"] = "Bearer wrong"
            let badToken = try await HTTPClient(base: server.baseURL, headers: headers).send("GET", keyPath)
            #expect(badToken.status == 401)
            #expect(badToken.object["message"] as? String == "Bad credentials")

            headers = Self.gitHubHeaders
            headers["X-GitHub-Api-Version"] = "2020-01-01"
            #expect(try await HTTPClient(base: server.baseURL, headers: headers).send("GET", keyPath).status == 400)
            headers.removeValue(forKey: "X-GitHub-Api-Version")
            #expect(try await HTTPClient(base: server.baseURL, headers: headers).send("GET", keyPath).status == 400)

            headers = Self.gitHubHeaders
            headers["Accept"] = "application/json"
            #expect(try await HTTPClient(base: server.baseURL, headers: headers).send("GET", keyPath).status == 415)

            let client = HTTPClient(base: server.baseURL, headers: Self.gitHubHeaders)
            #expect(try await client.send("GET", "/repos/acme/other/actions/secrets/public-key").status == 404)
            #expect(try await client.send("GET", "/repos/acme/web/environments/nope/secrets/public-key").status == 404)
            #expect(try await client.send("GET", "/user").status == 404)

            let key = try await client.send("GET", keyPath)
            let keyID = try #require(key.object["key_id"] as? String)
            let publicKey = try #require((key.object["key"] as? String).flatMap { Data(base64Encoded: $0) })
            let sealed = Self.seal("v", for: publicKey)

            let badName = try await client.send(
                "PUT",
                "/repos/acme/web/actions/secrets/GITHUB_X",
                json: ["encrypted_value": sealed, "key_id": keyID]
            )
            #expect(badName.status == 422)
            #expect((badName.object["message"] as? String)?.hasPrefix("Secret names can only contain") == true)
            #expect(
                try await client.send(
                    "PUT",
                    "/repos/acme/web/actions/secrets/1ABC",
                    json: ["encrypted_value": sealed, "key_id": keyID]
                ).status == 422
            )

            let noKeyID = try await client.send(
                "PUT",
                "/repos/acme/web/actions/secrets/OK",
                json: ["encrypted_value": sealed]
            )
            #expect(noKeyID.status == 422)
            #expect(noKeyID.object["message"] as? String == "Invalid request.\n\n\"key_id\" wasn't supplied.")
            let urlSafe = sealed.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(
                try await client.send(
                    "PUT",
                    "/repos/acme/web/actions/secrets/OK",
                    json: ["encrypted_value": urlSafe + "!", "key_id": keyID]
                ).status == 422
            )
            let notJSON = try await client.send("PUT", "/repos/acme/web/actions/secrets/OK", body: Data("nope".utf8))
            #expect(notJSON.status == 400)
            #expect(notJSON.object["message"] as? String == "Problems parsing JSON")

            let tooLarge = Self.seal(String(repeating: "x", count: 48 * 1024 + 1), for: publicKey)
            #expect(
                try await client.send(
                    "PUT",
                    "/repos/acme/web/actions/secrets/OK",
                    json: ["encrypted_value": tooLarge, "key_id": keyID]
                ).status == 422
            )

            #expect(emulator.writes.allSatisfy { !$0.isAccepted })
            #expect(emulator.secretValue(repository: "acme/web", name: "OK") == nil)
        }
    }

    // MARK: - Helpers

    /// Runs `body` against a started emulator and stops it afterwards, whether `body` passed or threw.
    private func running(_ server: EmulatorServer, _ body: (EmulatorServer) async throws -> Void) async throws {
        do {
            try await body(server)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    static let gitHubHeaders = [
        "Authorization": "Bearer ghp_test",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": "envshed-rotator-tests",
    ]

    /// Seals `value` for `publicKey` as GitHub's clients do, and Base64-encodes it (standard, padded).
    static func seal(_ value: String, for publicKey: Data) -> String {
        #expect(sodium_init() >= 0)
        let message = Array(value.utf8)
        var sealed = [UInt8](repeating: 0, count: message.count + crypto_box_sealbytes())
        let key = Array(publicKey)
        let result = crypto_box_seal(&sealed, message, UInt64(message.count), key)
        #expect(result == 0)
        return Data(sealed).base64EncodedString()
    }
}

/// A bare URLSession client for the emulators: the project's real transport is tested elsewhere.
private struct HTTPClient {
    struct Answer {
        let status: Int
        let body: Data
        let response: HTTPURLResponse

        var object: [String: Any] {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        }

        func header(_ name: String) -> String? {
            response.value(forHTTPHeaderField: name)
        }
    }

    let base: URL
    let headers: [String: String]

    func send(_ method: String, _ path: String, json: [String: Any]) async throws -> Answer {
        try await send(method, path, body: try JSONSerialization.data(withJSONObject: json))
    }

    func send(_ method: String, _ path: String, body: Data? = nil) async throws -> Answer {
        let url = try #require(URL(string: base.absoluteString + path))
        var request = URLRequest(url: url, timeoutInterval: 10)
        request.httpMethod = method
        for (name, value) in headers {
            request.setValue(value, forHTTPHeaderField: name)
        }
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return Answer(status: http.statusCode, body: data, response: http)
    }
}
