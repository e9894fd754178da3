import Crypto
import Foundation
import RotatorEmulators
import Testing
import _CryptoExtras

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The GitLab and Kubernetes emulators and GitHub's organization and App endpoints, over real
/// HTTP on loopback: statuses and bodies as the documented services give them.
@Suite("Target emulators answer like GitLab, Kubernetes and GitHub (orgs, Apps)", .timeLimit(.minutes(5)))
struct TargetEmulatorSelfTests {
    @Test("GitLab: no upsert, duplicate and ambiguous keys, maskable.rb, hidden values, masked_and_hidden on POST only, auth")
    func gitlab() async throws {
        let emulator = GitLabEmulator(acceptedTokens: ["glpat-test"])
        emulator.addProject(path: "acme/api", id: 7)
        let server = try await emulator.start()
        defer { Task { await server.stop() } }
        let client = LoopbackClient(base: server.baseURL, headers: ["PRIVATE-TOKEN": "glpat-test"])
        let variables = "/api/v4/projects/acme%2Fapi/variables"

        let missing = try await client.send("PUT", variables + "/TOKEN?filter%5Benvironment_scope%5D=production", json: ["value": "abcdefgh12"])
        #expect(missing.status == 404 && missing.object["message"] as? String == "404 Variable Not Found")
        #expect(missing.header("RateLimit-Remaining") != nil && missing.header("RateLimit-Limit") == "2000")

        let created = try await client.send("POST", variables, json: ["key": "TOKEN", "value": "abcdefgh12", "environment_scope": "production", "masked": true, "raw": true])
        #expect(created.status == 201)
        let duplicate = try await client.send("POST", variables, json: ["key": "TOKEN", "value": "x", "environment_scope": "production"])
        #expect(duplicate.status == 400)
        #expect((duplicate.object["message"] as? [String: [String]])?["key"] == ["(TOKEN) has already been taken"])

        // By numeric id too; a second scope makes an unfiltered request ambiguous.
        #expect(try await client.send("POST", "/api/v4/projects/7/variables", json: ["key": "TOKEN", "value": "v", "environment_scope": "*"]).status == 201)
        let ambiguous = try await client.send("GET", variables + "/TOKEN")
        #expect(ambiguous.status == 409)
        #expect(try await client.send("GET", variables + "/TOKEN?filter%5Benvironment_scope%5D=%2A").object["value"] as? String == "v")

        let unmaskable = try await client.send("POST", variables, json: ["key": "EXPANDED", "value": "has$dollar1", "masked": true, "raw": false])
        #expect(unmaskable.status == 400)
        #expect((unmaskable.object["message"] as? [String: [String]])?["value"] == ["is invalid"])
        #expect(try await client.send("POST", variables, json: ["key": "RAWSPACE", "value": "has a space", "masked": true, "raw": true]).status == 400)
        #expect(try await client.send("POST", variables, json: ["key": "SHORT", "value": "short", "masked": true, "raw": true]).status == 400)
        #expect(try await client.send("POST", variables, json: ["key": "RAWDOLLAR", "value": "has$dollar1", "masked": true, "raw": true]).status == 201)

        let hidden = try await client.send("POST", variables, json: ["key": "HIDDEN", "value": "abcdefgh12", "masked_and_hidden": true, "raw": true])
        #expect(hidden.status == 201)
        let readHidden = try await client.send("GET", variables + "/HIDDEN")
        #expect(readHidden.object["value"] is NSNull && readHidden.object["hidden"] as? Bool == true && readHidden.object["masked"] as? Bool == true)
        #expect(emulator.variable(project: "acme/api", key: "HIDDEN")?.value == "abcdefgh12")
        let hideOnUpdate = try await client.send("PUT", variables + "/TOKEN?filter%5Benvironment_scope%5D=production", json: ["value": "abcdefgh13", "masked_and_hidden": true])
        #expect(hideOnUpdate.status == 400)

        let updated = try await client.send("PUT", variables + "/TOKEN?filter%5Benvironment_scope%5D=production", json: ["value": "abcdefgh99"])
        #expect(updated.status == 200 && updated.object["value"] as? String == "abcdefgh99")

        let anonymous = LoopbackClient(base: server.baseURL, headers: [:])
        let unauthorized = try await anonymous.send("GET", variables)
        #expect(unauthorized.status == 401 && unauthorized.object["message"] as? String == "401 Unauthorized")
        let bearer = LoopbackClient(base: server.baseURL, headers: ["Authorization": "Bearer glpat-test"])
        #expect(try await bearer.send("GET", variables).status == 200)
        #expect(try await client.send("GET", "/api/v4/projects/acme%2Fnope/variables").object["message"] as? String == "404 Project Not Found")
        #expect(emulator.writes.filter(\.isAccepted).count == 5)
    }

    @Test("Kubernetes: bearer auth, apply only as apply-patch+yaml with a fieldManager, no stringData, create then update, restart annotation")
    func kubernetes() async throws {
        let emulator = KubernetesEmulator(acceptedTokens: ["sa-token"])
        emulator.addNamespace("api")
        emulator.addDeployment(namespace: "api", name: "web")
        let server = try await emulator.start()
        defer { Task { await server.stop() } }
        let client = LoopbackClient(base: server.baseURL, headers: ["Authorization": "Bearer sa-token"])
        let path = "/api/v1/namespaces/api/secrets/envshed"
        let apply: [String: Any] = ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "envshed"], "data": ["K": Data("v1".utf8).base64EncodedString()]]

        let unauthorized = try await LoopbackClient(base: server.baseURL, headers: [:]).send("GET", path)
        #expect(unauthorized.status == 401 && unauthorized.object["kind"] as? String == "Status" && unauthorized.object["reason"] as? String == "Unauthorized")
        #expect(try await client.send("PATCH", path + "?fieldManager=t", json: apply, contentType: "application/merge-patch+json").status == 415)
        #expect(try await client.send("PATCH", path, json: apply, contentType: "application/apply-patch+yaml").status == 422)
        var withStringData = apply
        withStringData["stringData"] = ["K": "plain"]
        let refused = try await client.send("PATCH", path + "?fieldManager=t", json: withStringData, contentType: "application/apply-patch+yaml")
        #expect(refused.status == 422 && (refused.object["message"] as? String)?.contains("send base64 values in data") == true)

        let created = try await client.send("PATCH", path + "?fieldManager=t&force=true", json: apply, contentType: "application/apply-patch+yaml")
        #expect(created.status == 201)
        let firstVersion = try #require(emulator.secret(namespace: "api", name: "envshed")?.resourceVersion)
        var second = apply
        second["data"] = ["K": Data("v2".utf8).base64EncodedString()]
        #expect(try await client.send("PATCH", path + "?fieldManager=t&force=true", json: second, contentType: "application/apply-patch+yaml").status == 200)
        #expect(emulator.secretValue(namespace: "api", name: "envshed", key: "K") == "v2")
        #expect((emulator.secret(namespace: "api", name: "envshed")?.resourceVersion ?? 0) > firstVersion)
        #expect(try await client.send("PATCH", "/api/v1/namespaces/nope/secrets/envshed?fieldManager=t", json: apply, contentType: "application/apply-patch+yaml").status == 404)

        let restart: [String: Any] = ["spec": ["template": ["metadata": ["annotations": ["kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"]]]]]
        let patched = try await client.send("PATCH", "/apis/apps/v1/namespaces/api/deployments/web", json: restart, contentType: "application/strategic-merge-patch+json")
        #expect(patched.status == 200)
        #expect(emulator.deployment(namespace: "api", name: "web")?.templateAnnotations["kubectl.kubernetes.io/restartedAt"] == "2026-01-01T00:00:00Z")
        #expect(emulator.deployment(namespace: "api", name: "web")?.generation == 2)
    }

    @Test("GitHub: org secrets need visibility, ids only with selected; repositories by name; App JWTs verified, installation tokens accepted")
    func githubOrganizationsAndApps() async throws {
        let emulator = GitHubEmulator(acceptedTokens: ["ghp_test"])
        emulator.addRepository("acme/api", id: 101)
        emulator.addOrganization("acme")
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        try emulator.addApp(id: 42, installationID: 7, publicKeyPEM: key.publicKey.pemRepresentation)
        let server = try await emulator.start()
        defer { Task { await server.stop() } }
        let client = LoopbackClient(base: server.baseURL, headers: EmulatorSelfTests.gitHubHeaders)

        let publicKey = try await client.send("GET", "/orgs/acme/actions/secrets/public-key")
        let keyID = try #require(publicKey.object["key_id"] as? String)
        let encodedKey = try #require(publicKey.object["key"] as? String)
        let orgKey = try #require(Data(base64Encoded: encodedKey))
        let sealed = EmulatorSelfTests.seal("value-1", for: orgKey)
        let noVisibility = try await client.send("PUT", "/orgs/acme/actions/secrets/TOKEN", json: ["key_id": keyID, "encrypted_value": sealed])
        #expect(noVisibility.status == 422 && (noVisibility.object["message"] as? String)?.contains("\"visibility\" wasn't supplied") == true)
        let idsWithAll = try await client.send("PUT", "/orgs/acme/actions/secrets/TOKEN", json: ["key_id": keyID, "encrypted_value": sealed, "visibility": "all", "selected_repository_ids": [101]])
        #expect(idsWithAll.status == 422)
        let created = try await client.send("PUT", "/orgs/acme/actions/secrets/TOKEN", json: ["key_id": keyID, "encrypted_value": sealed, "visibility": "selected", "selected_repository_ids": [101]])
        #expect(created.status == 201)
        #expect(emulator.organizationSecretValue(org: "acme", name: "TOKEN") == "value-1")
        let metadata = try await client.send("GET", "/orgs/acme/actions/secrets/TOKEN")
        #expect(metadata.object["visibility"] as? String == "selected")
        let repositories = try await client.send("GET", "/orgs/acme/actions/secrets/TOKEN/repositories")
        #expect((repositories.object["repositories"] as? [[String: Any]])?.first?["full_name"] as? String == "acme/api")
        #expect(try await client.send("GET", "/repos/acme/api").object["id"] as? Int == 101)

        // App: a JWT signed with the App's key buys a ghs_ token, which then authenticates.
        func jwt(signedBy signer: _RSA.Signing.PrivateKey, issuedAt: Int, expiresAt: Int) throws -> String {
            func encode(_ data: Data) -> String {
                data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            }
            let input = encode(Data(#"{"alg":"RS256","typ":"JWT"}"#.utf8)) + "." + encode(Data(#"{"iat":\#(issuedAt),"exp":\#(expiresAt),"iss":42}"#.utf8))
            return input + "." + encode(try signer.signature(for: Data(input.utf8), padding: .insecurePKCS1v1_5).rawRepresentation)
        }
        let now = Int(Date().timeIntervalSince1970)
        var appHeaders = EmulatorSelfTests.gitHubHeaders
        appHeaders["Authorization"] = "Bearer \(try jwt(signedBy: key, issuedAt: now - 60, expiresAt: now + 540))"
        let minted = try await LoopbackClient(base: server.baseURL, headers: appHeaders).send("POST", "/app/installations/7/access_tokens")
        #expect(minted.status == 201)
        let token = try #require(minted.object["token"] as? String)
        #expect(token.hasPrefix("ghs_"))
        #expect(try await LoopbackClient(base: server.baseURL, headers: appHeaders).send("POST", "/app/installations/8/access_tokens").status == 404)
        #expect(try await LoopbackClient(base: server.baseURL, headers: appHeaders).send("GET", "/repos/acme/api").status == 401, "a JWT is not an installation token")
        var installationHeaders = EmulatorSelfTests.gitHubHeaders
        installationHeaders["Authorization"] = "Bearer \(token)"
        #expect(try await LoopbackClient(base: server.baseURL, headers: installationHeaders).send("GET", "/repos/acme/api").status == 200)

        for (signer, issuedAt, expiresAt) in [
            (try _RSA.Signing.PrivateKey(keySize: .bits2048), now - 60, now + 540),  // another key
            (key, now - 60, now + 1200),  // exp too far
            (key, now - 700, now - 100),  // expired
        ] {
            appHeaders["Authorization"] = "Bearer \(try jwt(signedBy: signer, issuedAt: issuedAt, expiresAt: expiresAt))"
            #expect(try await LoopbackClient(base: server.baseURL, headers: appHeaders).send("POST", "/app/installations/7/access_tokens").status == 401)
        }
        #expect(emulator.installationTokens.count == 1)
    }

    /// https://docs.github.com/en/rest/actions/secrets#list-selected-repositories-for-an-organization-secret
    /// (`per_page` default 30, max 100; `page`) and
    /// https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api (`Link`
    /// with absolute URLs, `rel="next"` absent on the last page).
    @Test("GitHub: an org secret's selected repositories page with per_page (default 30, at most 100), total_count and Link")
    func githubSelectedRepositoriesPaginate() async throws {
        let emulator = GitHubEmulator(acceptedTokens: ["ghp_test"])
        emulator.addOrganization("acme")
        let ids = Array(1001...1234)
        for id in ids { emulator.addRepository("acme/repo-\(id)", id: id) }
        let server = try await emulator.start()
        defer { Task { await server.stop() } }
        let client = LoopbackClient(base: server.baseURL, headers: EmulatorSelfTests.gitHubHeaders)
        let publicKey = try await client.send("GET", "/orgs/acme/actions/secrets/public-key")
        let keyID = try #require(publicKey.object["key_id"] as? String)
        let encodedKey = try #require(publicKey.object["key"] as? String)
        let orgKey = try #require(Data(base64Encoded: encodedKey))
        let created = try await client.send("PUT", "/orgs/acme/actions/secrets/TOKEN", json: [
            "key_id": keyID, "encrypted_value": EmulatorSelfTests.seal("value-1", for: orgKey), "visibility": "selected", "selected_repository_ids": ids,
        ])
        #expect(created.status == 201)

        let firstDefault = try await client.send("GET", "/orgs/acme/actions/secrets/TOKEN/repositories")
        #expect((firstDefault.object["repositories"] as? [[String: Any]])?.count == 30)
        #expect(firstDefault.object["total_count"] as? Int == 234)

        var path = "/orgs/acme/actions/secrets/TOKEN/repositories?per_page=500"
        var read: [Int] = []
        var pages = 0
        while true {
            let page = try await client.send("GET", path)
            #expect(page.status == 200 && page.object["total_count"] as? Int == 234)
            let repositories = try #require(page.object["repositories"] as? [[String: Any]])
            #expect(repositories.count <= 100)
            read += repositories.compactMap { $0["id"] as? Int }
            pages += 1
            let link = try #require(page.header("Link"))
            guard let next = link.components(separatedBy: ", ").first(where: { $0.hasSuffix(#"rel="next""#) }) else { break }
            let url = try #require(URL(string: String(next.dropFirst().prefix { $0 != ">" })))
            #expect(url.host == server.baseURL.host && url.port == server.baseURL.port, "absolute links to the same API")
            path = url.path + "?" + (url.query ?? "")
        }
        #expect(pages == 3 && read == ids)
        let single = try await client.send("GET", "/orgs/acme/actions/secrets/TOKEN/repositories?per_page=100&page=9")
        #expect((single.object["repositories"] as? [[String: Any]])?.isEmpty == true, "past the end: an empty page")
    }

    /// https://docs.gitlab.com/api/rest/#pagination: `page`, `per_page` (default 20, max 100),
    /// `x-next-page` (empty on the last page), `x-total`, `x-total-pages` and `Link`.
    @Test("GitLab: variable lists page with per_page, x-next-page, x-total and Link")
    func gitlabListsPaginate() async throws {
        let emulator = GitLabEmulator(acceptedTokens: ["glpat-test"])
        emulator.addGroup(path: "acme", id: 9)
        for index in 0..<45 {
            emulator.seedVariable(group: "acme", GitLabStoredVariable(
                key: "KEY_\(index)", value: "value-\(index)", environmentScope: "*", masked: false, protected: false,
                raw: true, hidden: false, description: nil, variableType: "env_var"
            ))
        }
        let server = try await emulator.start()
        defer { Task { await server.stop() } }
        let client = LoopbackClient(base: server.baseURL, headers: ["PRIVATE-TOKEN": "glpat-test"])
        let first = try await client.send("GET", "/api/v4/groups/acme/variables")
        #expect(first.header("x-per-page") == "20" && first.header("x-total") == "45" && first.header("x-total-pages") == "3")
        #expect(first.header("x-next-page") == "2" && first.header("x-prev-page") == "")
        #expect(first.header("Link")?.contains(#"rel="next""#) == true)
        var keys: [String] = []
        var page: String? = "1"
        while let number = page, !number.isEmpty {
            let answer = try await client.send("GET", "/api/v4/groups/acme/variables?per_page=10&page=\(number)")
            let items = try #require((try? JSONSerialization.jsonObject(with: answer.body)) as? [[String: Any]])
            keys += items.compactMap { $0["key"] as? String }
            page = answer.header("x-next-page")
        }
        #expect(keys == (0..<45).map { "KEY_\($0)" })
        let last = try await client.send("GET", "/api/v4/groups/acme/variables?per_page=1000&page=1")
        #expect(last.header("x-per-page") == "100" && last.header("x-next-page") == "")
        #expect(last.header("Link")?.contains(#"rel="next""#) == false)
        emulator.setDefaultPageSize(7)
        #expect(try await client.send("GET", "/api/v4/groups/acme/variables").header("x-total-pages") == "7")
    }

    /// https://docs.gitlab.com/api/group_level_variables/: `environment_scope` is "Premium and
    /// Ultimate only", and "The `filter` parameter" section is Premium and Ultimate. Below that,
    /// GitLab drops `environment_scope` without an error
    /// (https://gitlab.com/gitlab-org/gitlab/-/merge_requests/55573) and reads no filter.
    @Test("GitLab Free: a group ignores filter[environment_scope] and drops environment_scope; Premium honours both; projects always do")
    func gitlabFreeIgnoresGroupFilter() async throws {
        let emulator = GitLabEmulator(acceptedTokens: ["glpat-test"])
        emulator.addGroup(path: "acme", id: 9)
        emulator.addProject(path: "acme/api", id: 7)
        emulator.setTier(.free)
        let server = try await emulator.start()
        defer { Task { await server.stop() } }
        let client = LoopbackClient(base: server.baseURL, headers: ["PRIVATE-TOKEN": "glpat-test"])
        let group = "/api/v4/groups/acme/variables"
        let filter = "?filter%5Benvironment_scope%5D=production"

        let created = try await client.send("POST", group, json: ["key": "TOKEN", "value": "abcdefgh12", "environment_scope": "production"])
        #expect(created.status == 201 && created.object["environment_scope"] as? String == "*", "the scope was dropped, without an error")
        let read = try await client.send("GET", group + "/TOKEN" + filter)
        #expect(read.status == 200 && read.object["environment_scope"] as? String == "*", "the filter was ignored")
        let staging = try await client.send("PUT", group + "/TOKEN?filter%5Benvironment_scope%5D=staging", json: ["value": "staging-value", "environment_scope": "staging"])
        #expect(staging.status == 200 && staging.object["environment_scope"] as? String == "*")
        #expect(emulator.variable(group: "acme", key: "TOKEN")?.value == "staging-value", "a write meant for 'staging' landed in '*'")

        let project = "/api/v4/projects/7/variables"
        let scoped = try await client.send("POST", project, json: ["key": "TOKEN", "value": "abcdefgh12", "environment_scope": "production"])
        #expect(scoped.object["environment_scope"] as? String == "production", "project variables are scoped on every tier")
        #expect(try await client.send("GET", project + "/TOKEN?filter%5Benvironment_scope%5D=staging").status == 404)

        emulator.setTier(.premium)
        let premium = try await client.send("POST", group, json: ["key": "TOKEN", "value": "abcdefgh12", "environment_scope": "production"])
        #expect(premium.status == 201 && premium.object["environment_scope"] as? String == "production")
        #expect(try await client.send("GET", group + "/TOKEN" + filter).object["value"] as? String == "abcdefgh12")
        #expect(try await client.send("GET", group + "/TOKEN").status == 409)
    }

    @Test("demo: one rotation fans out to all five kinds, with no credentials and no network")
    func demo() async throws {
        let directory = FileManager.default.temporaryDirectory.path
        let result = try await RotatorProcess.run(["demo"], environment: [:], in: directory)
        #expect(result.exitCode == 0, "\(result.all)")
        for label in [
            "github:org/acme/ENVSHED_TOKEN", "gitlab:acme/api/ENVSHED_TOKEN[production]", "kubernetes:api/envshed#ENVSHED_TOKEN", "file:",
            "azure_devops:acme/platform/pipeline-tokens#ENVSHED_TOKEN",
        ] {
            let line = result.stdout.split(separator: "\n").first { $0.contains(label) && $0.contains("fingerprint") }
            #expect(line?.hasSuffix("— live") == true, "\(label): \(line ?? "missing")")
        }
        #expect(result.stdout.contains("GitHub App installation tokens minted this run: 1"))
        #expect(!result.all.contains("envshed_svc_") && !result.all.contains("ghs_") && !result.all.contains("PRIVATE KEY"))
    }
}

/// A bare URLSession client for the emulators.
struct LoopbackClient {
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

    func send(_ method: String, _ path: String, json: [String: Any]? = nil, contentType: String = "application/json") async throws -> Answer {
        let url = try #require(URL(string: base.absoluteString + path))
        var request = URLRequest(url: url, timeoutInterval: 10)
        request.httpMethod = method
        for (name, value) in headers {
            request.setValue(value, forHTTPHeaderField: name)
        }
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return Answer(status: http.statusCode, body: data, response: http)
    }
}
