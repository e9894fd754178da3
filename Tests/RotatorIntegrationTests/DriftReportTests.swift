import Foundation
import RotatorEmulators
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `status --drift`: reads every target back and reports what changed behind the bot's back,
/// unmanaged tokens about to expire, and the bot's live tokens that are not current. Reads only.
@Suite("Drift and hygiene report (real binary, loopback emulators)", .serialized, .timeLimit(.minutes(5)))
struct DriftReportTests {
    @Test("changed GitHub, GitLab and Kubernetes targets, an expiring unmanaged token; GET requests only")
    func drift() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 5)
            try world.writePlan(world.targetsPlan(adopt: old.id, targets: [
                "github: { repo: acme/api, secret: ENVSHED_TOKEN }",
                "github: { repo: acme/web, secret: ENVSHED_TOKEN }",
                "gitlab: { project: acme/api, variable: ENVSHED_TOKEN }",
                "kubernetes: { namespace: api, secret: envshed, key: ENVSHED_TOKEN }",
                "file: { path: \(world.directory)/token }",
            ]))
            let run = try await world.rotator(["run"])
            #expect(run.exitCode == 0, "\(run.all)")
            let clean = try await world.rotator(["status", "--drift"])
            #expect(clean.exitCode == 0, "\(clean.all)")
            #expect(clean.stdout.contains("Drift: 5 target(s) read back, 0 changed by someone else, 0 missing"), "\(clean.stdout)")

            // Someone edits three targets by hand (GitHub keeps whole seconds: wait for the next one).
            try await Task.sleep(for: .milliseconds(1_100))
            try await HandEdits.putGitHubSecret(world, repository: "acme/api", value: "handEditedGithub")
            try await HandEdits.putGitLabVariable(world, project: "acme%2Fapi", key: "ENVSHED_TOKEN", value: "handEditedGitlab12345")
            world.kubernetes.addSecret(namespace: "api", name: "envshed", data: ["ENVSHED_TOKEN": "handEditedKubernetes"])
            let unmanaged = world.envshed.seedToken(
                name: "someone's laptop token", scope: "project", projectID: Scenario.projectID, environmentID: nil, permission: "read",
                expiresAt: Date().addingTimeInterval(36 * 3_600)
            )
            _ = world.seedToken(environment: "staging", expiresInDays: 60) // unmanaged but far from expiry

            let before = Self.counts(world)
            let report = try await world.rotator(["status", "--drift", "--json"])
            #expect(report.exitCode == 0, "\(report.all)")
            let during = Self.since(before, world)
            #expect(!during.isEmpty)
            #expect(during.allSatisfy { $0.method == "GET" }, "status --drift must only read: \(during.filter(\.isWrite).map { "\($0.method) \($0.path)" })")

            let document = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
            let drift = try #require(document["drift"] as? [String: Any])
            let targets = try #require(drift["targets"] as? [[String: Any]])
            func state(_ label: String) -> String? { targets.first { $0["target"] as? String == label }?["state"] as? String }
            #expect(state("github:acme/api/ENVSHED_TOKEN") == "changed", "\(targets)")
            #expect(state("github:acme/web/ENVSHED_TOKEN") == "unchanged")
            #expect(state("gitlab:acme/api/ENVSHED_TOKEN[*]") == "changed")
            #expect(state("kubernetes:api/envshed#ENVSHED_TOKEN") == "changed")
            #expect(state("file:\(world.directory)/token") == "unchanged")
            #expect(drift["changed"] as? Int == 3)
            let expiring = try #require(drift["unmanaged_expiring"] as? [[String: Any]])
            #expect(expiring.map { $0["id"] as? String } == [unmanaged.id], "\(expiring)")
            #expect((document["rotations"] as? [[String: Any]])?.count == 1, "the status rows are still there")

            let text = try await world.rotator(["status", "--drift"])
            #expect(text.stdout.contains("github:acme/api/ENVSHED_TOKEN  CHANGED — updated_at"), "\(text.stdout)")
            #expect(text.stdout.contains("\"someone's laptop token\" (\(unmanaged.id)), expires in 1d"))
            #expect(text.stdout.contains("A report only: nothing was changed."))
            #expect(!text.stdout.contains("handEdited"), "values are never printed")
            // Status without --drift stays offline.
            let offline = world.allRequests.count
            #expect(try await world.rotator(["status"]).exitCode == 0)
            #expect(world.allRequests.count == offline)
            try world.expectNoSecretsLeaked([run, report, text])
        }
    }

    @Test("a token the bot created that is live but not current is listed, with what happens to it")
    func liveNotCurrent() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 5)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            world.github.inject(InjectedFault(method: "PUT", pathContains: "/environments/production/secrets/", status: 422))
            let failed = try await world.rotator(["run", "--only", "api-production-ci"])
            #expect(failed.exitCode == 1)
            let pending = try #require(world.token(withValue: world.githubSecret("acme/api")))
            let report = try await world.rotator(["status", "--drift", "--json"])
            #expect(report.exitCode == 0, "\(report.all)")
            let drift = try #require((try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])?["drift"] as? [String: Any])
            let leftovers = try #require(drift["live_not_current"] as? [[String: Any]])
            let entry = try #require(leftovers.first { $0["id"] as? String == pending.id }, "\(leftovers)")
            #expect(entry["status"] as? String == "pending")
            #expect((entry["advice"] as? String)?.contains("the next run revokes it") == true)
            #expect(world.envshed.token(id: pending.id)?.isLive == true, "a report never revokes")
        }
    }
}

extension DriftReportTests {
    /// How many requests each emulator has seen so far.
    static func counts(_ world: Scenario) -> [Int] {
        [world.envshed.requests.count, world.github.requests.count, world.gitlab.requests.count, world.kubernetes.requests.count]
    }

    /// The requests each emulator received after `counts`.
    static func since(_ counts: [Int], _ world: Scenario) -> [RecordedRequest] {
        let all = [world.envshed.requests, world.github.requests, world.gitlab.requests, world.kubernetes.requests]
        return zip(all, counts).flatMap { requests, count in requests.dropFirst(count) }
    }
}

/// Changes made to targets the way a person would, through the providers' APIs.
enum HandEdits {
    static func putGitHubSecret(_ world: Scenario, repository: String, value: String) async throws {
        let base = world.githubServer.baseURL.absoluteString + "/repos/\(repository)/actions/secrets"
        let keyAnswer = try await send("GET", base + "/public-key", headers: githubHeaders(world), body: nil)
        let key = try #require((try JSONSerialization.jsonObject(with: keyAnswer) as? [String: Any]))
        let encodedKey = try #require(key["key"] as? String)
        let keyID = try #require(key["key_id"] as? String)
        let publicKey = try #require(Data(base64Encoded: encodedKey))
        let body: [String: Any] = ["encrypted_value": EmulatorSelfTests.seal(value, for: publicKey), "key_id": keyID]
        _ = try await send("PUT", base + "/ENVSHED_TOKEN", headers: githubHeaders(world), body: try JSONSerialization.data(withJSONObject: body))
    }

    static func putGitLabVariable(_ world: Scenario, project: String, key: String, value: String) async throws {
        let url = world.gitlabServer.baseURL.absoluteString + "/api/v4/projects/\(project)/variables/\(key)?filter%5Benvironment_scope%5D=%2A"
        let body = try JSONSerialization.data(withJSONObject: ["value": value])
        _ = try await send("PUT", url, headers: ["PRIVATE-TOKEN": world.gitlabToken, "Content-Type": "application/json"], body: body)
    }

    static func githubHeaders(_ world: Scenario) -> [String: String] {
        [
            "Authorization": "Bearer \(world.githubToken)", "Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "hand-edit", "Content-Type": "application/json",
        ]
    }

    static func send(_ method: String, _ url: String, headers: [String: String], body: Data?) async throws -> Data {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        #expect((200..<300).contains(status), "\(method) \(url): \(status) \(String(decoding: data, as: UTF8.self))")
        return data
    }
}
