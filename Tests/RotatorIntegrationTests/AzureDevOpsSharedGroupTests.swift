import Foundation
import RotatorEmulators
import Testing

/// Several rotations whose targets are variables of ONE Azure DevOps variable group, through the
/// real binary. A group `PUT` replaces every variable of the group ("all variables in the
/// VariableGroup that is not in the request payload are deleted",
/// https://github.com/MicrosoftDocs/vsts-rest-api-specs/issues/235), so concurrent
/// read-modify-writes would lose each other's variables; a secret sent back as `null` keeps its
/// value (https://github.com/microsoft/terraform-provider-azuredevops/issues/1433). Every test runs
/// under the scenario's live I1 monitor, which reads every variable of every group written.
@Suite("Azure DevOps: rotations sharing one variable group (real binary, emulator)", .serialized, .timeLimit(.minutes(5)))
struct AzureDevOpsSharedGroupTests {
    static let rotations = [("azdo-a", "API_TOKEN", "deploy-tokens"), ("azdo-b", "WEB_TOKEN", "deploy-tokens"), ("azdo-c", "JOBS_TOKEN", "7")]

    /// Each rotation writes one variable of group 7 (`azdo-c` names it by id); `azdo-a` also writes
    /// the GitHub secret of `acme/api`, so the rotations share hosts too.
    static func plan(_ world: Scenario, adopt: [String: String], rotations: [(String, String, String)] = rotations) -> String {
        world.rotationsPlan(rotations.map { id, variable, group in
            Scenario.PlannedRotation(
                id: id, adopt: adopt[id],
                targets: ["azure_devops: { organization: acme, project: platform, group: \(group), variable: \(variable) }"]
                    + (id == "azdo-a" ? ["github: { repo: acme/api, secret: ENVSHED_TOKEN }"] : [])
            )
        })
    }

    static func dueWorld(_ world: Scenario) throws -> [String: (id: String, value: String)] {
        var old: [String: (id: String, value: String)] = [:]
        for (id, _, _) in rotations { old[id] = world.seedToken(expiresInDays: 3) }
        try world.writePlan(plan(world, adopt: old.mapValues(\.id)))
        return old
    }

    static func value(_ world: Scenario, _ name: String) -> AzureDevOpsStoredVariable? {
        world.azureDevOps.variable(groupID: Scenario.azureDevOpsGroupID, name: name)
    }

    /// Every variable holds its rotation's live current token, as a secret; the group's other
    /// variables are as they were.
    static func expectEveryVariableCurrent(_ world: Scenario, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        // The current token as the state says (`status --json`): after a failed attempt a retry
        // may share its serial, so the newest marker alone cannot tell.
        let status = try await world.rotator(["status", "--json"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any], sourceLocation: sourceLocation)
        let rows = (document["rotations"] as? [[String: Any]]) ?? []
        var seen = Set<String>()
        for (rotation, name, _) in rotations {
            let held = value(world, name)
            let id = (rows.first { $0["id"] as? String == rotation }?["token"] as? [String: Any])?["id"] as? String
            let current = id.flatMap { world.envshed.token(id: $0) }
            #expect(current?.isLive == true, "\(rotation) has no live token", sourceLocation: sourceLocation)
            #expect(held?.value == current?.value && held?.value != nil, "\(name) does not hold \(rotation)'s current token", sourceLocation: sourceLocation)
            #expect(held?.isSecret == true, "\(name) must be secret", sourceLocation: sourceLocation)
            if let value = held?.value { seen.insert(value) }
        }
        #expect(seen.count == rotations.count, "each variable holds its own rotation's token", sourceLocation: sourceLocation)
        #expect(value(world, "DB_PASSWORD") == AzureDevOpsStoredVariable(value: Scenario.azureDevOpsKeptSecret, isSecret: true), sourceLocation: sourceLocation)
        #expect(value(world, "REGION") == AzureDevOpsStoredVariable(value: "westeurope", isSecret: false), sourceLocation: sourceLocation)
    }

    @Test("three rotations write three variables of one group at once: none is lost; a forced rotation of one changes only its variable; plan and drift name the target")
    func threeVariablesOneGroup() async throws {
        try await Scenario.with { world in
            let old = try Self.dueWorld(world)
            // Slow answers, so that the three rotations' reads of the group overlap.
            world.azureDevOps.setLatency(.milliseconds(100))
            let dryRun = try await world.rotator(["plan"])
            #expect(dryRun.exitCode == 0, "\(dryRun.all)")
            #expect(dryRun.stdout.contains("azure_devops:acme/platform/deploy-tokens#WEB_TOKEN"), "\(dryRun.stdout)")
            #expect(world.azureDevOps.writes.isEmpty, "plan writes nothing")

            let first = try await world.rotator(["run"])
            #expect(first.exitCode == 0, "\(first.all)")
            try await Self.expectEveryVariableCurrent(world)
            #expect(world.githubSecret("acme/api") == KubernetesSharedSecretTests.currentToken(world, of: "azdo-a")?.value)
            #expect(world.azureDevOps.writes.count == 3 && world.azureDevOps.writes.allSatisfy(\.isAccepted))
            for (id, _) in old { #expect(world.envshed.token(id: old[id]!.id)?.revokedAt != nil, "\(id)'s adopted token is revoked after the verified rotation") }

            let unchanged = (Self.value(world, "API_TOKEN"), Self.value(world, "JOBS_TOKEN"))
            let before = Self.value(world, "WEB_TOKEN")
            let second = try await world.rotator(["rotate", "azdo-b", "--reason", "rotate one variable of a shared group", "--yes"])
            #expect(second.exitCode == 0, "\(second.all)")
            #expect(Self.value(world, "WEB_TOKEN") != before)
            #expect(Self.value(world, "API_TOKEN") == unchanged.0 && Self.value(world, "JOBS_TOKEN") == unchanged.1)
            try await Self.expectEveryVariableCurrent(world)

            let drift = try await world.rotator(["status", "--drift", "--json"])
            #expect(drift.exitCode == 0, "\(drift.all)")
            #expect(drift.stdout.contains("azure_devops:acme/platform/deploy-tokens#API_TOKEN"), "\(drift.stdout)")
            world.azureDevOps.editByHand(groupID: Scenario.azureDevOpsGroupID, name: "WEB_TOKEN", nil)
            let missing = try await world.rotator(["status", "--drift", "--json"])
            let document = try #require(try JSONSerialization.jsonObject(with: Data(missing.stdout.utf8)) as? [String: Any])
            let findings = try #require(document["drift"] as? [String: Any]).description
            #expect(findings.contains("has no variable WEB_TOKEN any more"), "\(missing.stdout)")
            try world.expectNoSecretsLeaked([dryRun, first, second, drift, missing])
        }
    }

    @Test("a group PUT applied but answered 500 on every attempt: the run fails, every old token stays valid, the next run converges")
    func putAppliedButFailed() async throws {
        try await Scenario.with { world in
            let old = try Self.dueWorld(world)
            world.azureDevOps.inject(.applyThenAnswer(500, method: "PUT", pathContains: "/variablegroups/", times: 4))
            let failed = try await world.rotator(["run"])
            // 1, or 3 since the old tokens expire within the warning window (SPEC §3).
            #expect(failed.exitCode == 1 || failed.exitCode == 3, "\(failed.all)")
            // The rotation whose PUT failed keeps its old token; a rotation whose group write was
            // verified may have revoked its own.
            let failedRotations = old.filter { world.envshed.token(id: $0.value.id)?.isLive == true }
            #expect(!failedRotations.isEmpty, "the rotation whose write failed keeps its old token valid")
            for (id, token) in old where world.envshed.token(id: token.id)?.revokedAt != nil {
                let variable = Self.rotations.first { $0.0 == id }.map(\.1) ?? "?"
                #expect(Self.value(world, variable)?.value == KubernetesSharedSecretTests.currentToken(world, of: id)?.value, "\(id) revoked its old token without holding its new one")
            }
            var rerun = try await world.rotator(["run"])
            if rerun.exitCode != 0 { rerun = try await world.rotator(["run"]) }
            #expect(rerun.exitCode == 0, "\(rerun.all)")
            try await Self.expectEveryVariableCurrent(world)
            try world.expectNoSecretsLeaked([failed, rerun])
        }
    }

    @Test("a 429 with Retry-After from Azure DevOps' limiter is waited out (https://learn.microsoft.com/en-us/azure/devops/integrate/concepts/rate-limits)")
    func rateLimited() async throws {
        try await Scenario.with { world in
            _ = try Self.dueWorld(world)
            world.azureDevOps.setRateLimit(requests: 4, perSeconds: 2)
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            #expect(world.azureDevOps.requests.contains { $0.status == 429 }, "the limiter answered 429")
            try await Self.expectEveryVariableCurrent(world)
        }
    }

    static let crashPoints: [ObservedRequest.Phase] = [.received, .handled]

    @Test("SIGKILL at the group PUT (on arrival, after it was applied): a rerun converges and nothing held is revoked", arguments: crashPoints)
    func crashAtPut(_ phase: ObservedRequest.Phase) async throws {
        try await Scenario.with { world in
            let old = try Self.dueWorld(world)
            let killer = Killer(at: 2, phase: phase) { $0.method == "PUT" && $0.path.contains("/variablegroups/") }
            world.onRequest { request in killer.observe(request) }
            let running = try world.startRotator(["run"])
            killer.arm(pid: running.pid)
            let crashed = try await running.wait()
            killer.disarm()
            #expect(killer.fired, "the run never reached the second group PUT: \(crashed.all)")
            #expect(crashed.exitCode == SIGKILL)
            var rerun = try await world.rotator(["run"])
            if rerun.exitCode != 0 { rerun = try await world.rotator(["run"]) }
            #expect(rerun.exitCode == 0, "\(rerun.all)")
            try await Self.expectEveryVariableCurrent(world)
            let status = try await world.rotator(["status", "--json"])
            let rows = ((try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["rotations"] as? [[String: Any]]) ?? []
            let current = Set(rows.compactMap { ($0["token"] as? [String: Any])?["id"] as? String })
            for token in world.envshed.tokens where token.description?.contains("managed-by=envshed-rotator") == true && !current.contains(token.id) {
                #expect(token.revokedAt != nil, "token \(token.id) the bot created is still live")
            }
            for (id, token) in old { #expect(world.envshed.token(id: token.id)?.revokedAt != nil, "\(id)'s adopted token is revoked") }
            try world.expectNoSecretsLeaked([crashed, rerun])
        }
    }
}
