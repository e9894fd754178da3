import Foundation
import RotatorEmulators
import Testing

/// Failures before revocation leave the old token valid (SPEC I1, I6) and say so in one line.
@Suite("Failures leave the old token valid (real binary, loopback emulators)", .serialized, .timeLimit(.minutes(5)))
struct FailureTests {
    @Test("GitHub answering 422 on the second target: old token live, exit 1, one clear line; the next run converges")
    func github422() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 5)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            world.github.inject(InjectedFault(method: "PUT", pathContains: "/environments/production/secrets/", status: 422))

            let failed = try await world.rotator(["run", "--only", "api-production-ci"])
            #expect(failed.exitCode == 1, "\(failed.all)")
            #expect(world.envshed.token(id: old.id)?.isLive == true, "the old token must stay valid")
            #expect(!world.envshed.requests.contains { $0.method == "DELETE" && $0.path.hasSuffix(old.id) })
            let line = try #require(failed.stderrMessages.split(separator: "\n").first { $0.hasPrefix("rotation api-production-ci failed") })
            #expect(line.contains("failed at push of github:acme/api@production/ENVSHED_TOKEN"))
            #expect(line.contains("HTTP 422"))
            #expect(line.contains("the old token \(old.id) stays valid and expires in 4d"))
            #expect(line.contains("1 target(s) already hold the new token"))

            // The first target got the new token; that token stays live beside the old one.
            let pending = try #require(world.token(withValue: world.githubSecret("acme/api")))
            #expect(pending.isLive)
            let status = try await world.rotator(["status", "--json"])
            #expect(status.stdout.contains("\"last_result\" : \"needs_attention\""), "\(status.stdout)")

            // Fault gone: the next run rotates again and revokes both the old and the pending token.
            let retried = try await world.rotator(["run", "--only", "api-production-ci"])
            #expect(retried.exitCode == 0, "\(retried.all)")
            let current = try #require(world.token(withValue: world.githubSecret("acme/api")))
            #expect(world.githubSecret("acme/api", environment: "production") == current.value)
            #expect(current.isLive)
            #expect(world.envshed.token(id: old.id)?.revokedAt != nil)
            #expect(world.envshed.token(id: pending.id)?.revokedAt != nil, "the pending token of the failed attempt is revoked once every target moved on")
            #expect(world.envshed.tokens.filter(\.isLive).map(\.id) == [current.id])
            try world.expectNoSecretsLeaked([failed, status, retried])
        }
    }

    @Test("Envshed answering 500 on create: old token live, nothing pushed, exit 1")
    func envshed500OnCreate() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 5)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            world.envshed.inject(InjectedFault(method: "POST", pathContains: "/service-tokens/", status: 500, times: 100))
            let result = try await world.rotator(["run", "--only", "api-production-ci"])
            #expect(result.exitCode == 1, "\(result.all)")
            #expect(result.stderr.contains("rotation api-production-ci failed at create: Envshed create service token answered HTTP 500"))
            #expect(world.envshed.token(id: old.id)?.isLive == true)
            #expect(world.github.writes.isEmpty)
            #expect(world.envshed.tokens.count == 1)
        }
    }

    @Test("a new token failing its test pull reaches no target and is revoked at once; the old token stays live; exit 1")
    func pullFails() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 5)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            world.envshed.inject(InjectedFault(method: "GET", pathContains: "/api/v1/secrets/", status: 500, times: 100))
            let result = try await world.rotator(["run", "--only", "api-production-ci"])
            #expect(result.exitCode == 1, "\(result.all)")
            #expect(result.stderr.contains("failed at verify of envshed:api/production"))
            #expect(result.stderr.contains("the new token reached no target and is revoked"), "\(result.stderr)")
            #expect(world.envshed.token(id: old.id)?.isLive == true)
            #expect(world.github.writes.isEmpty, "no target may see a token that failed its test pull")
            let created = world.envshed.tokens.filter { $0.id != old.id }
            #expect(created.count == 1 && created.allSatisfy { !$0.isLive }, "the new token is revoked: \(created.map(\.id))")
            #expect(world.envshed.requests.filter { $0.method == "DELETE" }.count == 1)
        }
    }

    @Test("garbage from Envshed's create leaves the old token valid and prints no body")
    func garbageCreateAnswer() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 5)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            world.envshed.inject(InjectedFault(method: "POST", pathContains: "/service-tokens/", status: 201, body: "{\"token\": \"envshed_svc_leakme123\", \"oops\": [1,", times: 100))
            let result = try await world.rotator(["run", "--only", "api-production-ci"])
            #expect(result.exitCode == 1, "\(result.all)")
            #expect(result.stderr.contains("answered something this version cannot read"))
            #expect(!result.all.contains("leakme123"))
            #expect(world.envshed.token(id: old.id)?.isLive == true)
            #expect(world.github.writes.isEmpty)
        }
    }

    @Test("a failure with the old token inside its warning window exits 3")
    func warningWindow() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 1)
            try world.writePlan(world.standardPlan(adoptProduction: old.id, warnBeforeDays: 3))
            world.envshed.inject(InjectedFault(method: "POST", pathContains: "/service-tokens/", status: 503, times: 100))
            let result = try await world.rotator(["run", "--only", "api-production-ci"])
            #expect(result.exitCode == 3, "\(result.all)")
            #expect(result.stderr.contains("stays valid and expires in 23h") || result.stderr.contains("stays valid and expires in 1d"))
            #expect(world.envshed.token(id: old.id)?.isLive == true)
        }
    }

    @Test("a missing credential is a usage error that touches nothing")
    func missingCredential() async throws {
        try await Scenario.with { world in
            try world.writePlan(world.standardPlan())
            let result = try await RotatorProcess.run(["run", "--config", world.planPath], environment: ["ENVSHED_TOKEN": world.adminToken], in: world.directory)
            #expect(result.exitCode == 64, "\(result.all)")
            #expect(result.stderr.contains("providers.github.token: credential env:GITHUB_TOKEN: the environment variable GITHUB_TOKEN is not set or empty; nothing was changed"))
            #expect(world.allRequests.isEmpty)
        }
    }
}
