import Foundation
import RotatorEmulators
import Testing

/// `rotate ID --reason … --emergency --revoke-old first|immediately|after-verify` against the
/// emulators. The order of the requests the services received proves when the old token died.
@Suite("Emergency rotation (real binary, loopback emulators)", .serialized, .timeLimit(.minutes(5)))
struct EmergencyRotationTests {
    static let secretPUT: @Sendable (String) -> Bool = { $0.hasSuffix("/secrets/ENVSHED_TOKEN") }
    static let pull: @Sendable (String) -> Bool = { $0.hasPrefix("/api/v1/secrets/") }
    static let create: @Sendable (String) -> Bool = { $0 == "/api/v1/service-tokens/acme" }

    /// A world where the bot already rotated `api-production-ci` once: its token is on both
    /// GitHub secrets. Returns that token (the one that "leaked").
    private func rotatedOnce(_ world: Scenario) async throws -> EmulatedServiceToken {
        let adopted = world.seedToken(expiresInDays: 5)
        try world.writePlan(world.standardPlan(adoptProduction: adopted.id))
        let first = try await world.rotator(["run", "--only", "api-production-ci"])
        #expect(first.exitCode == 0, "\(first.all)")
        let current = try #require(world.token(withValue: world.githubSecret("acme/api")))
        #expect(world.githubSecret("acme/api", environment: "production") == current.value)
        return current
    }

    private func expectRotatedAway(from leaked: EmulatedServiceToken, _ world: Scenario, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let successor = try #require(world.token(withValue: world.githubSecret("acme/api")), sourceLocation: sourceLocation)
        #expect(successor.id != leaked.id, sourceLocation: sourceLocation)
        #expect(successor.isLive, sourceLocation: sourceLocation)
        #expect(world.githubSecret("acme/api", environment: "production") == successor.value, sourceLocation: sourceLocation)
        #expect(world.envshed.token(id: leaked.id)?.revokedAt != nil, "the leaked token must be revoked", sourceLocation: sourceLocation)
    }

    @Test("--revoke-old first: DELETE of the leaked token before the create; pipelines warned; reason and user audited")
    func revokeFirst() async throws {
        try await Scenario.with(allowingRevocationOfHeldTokens: true) { world in
            let leaked = try await rotatedOnce(world)
            let order = RequestOrder(world)
            let result = try await world.rotator(
                ["rotate", "api-production-ci", "--reason", "token printed in a public CI log", "--emergency", "--revoke-old", "first", "--yes"],
                extraEnvironment: ["SUDO_USER": "oncall-alice", "USER": "root"]
            )
            #expect(result.exitCode == 0, "\(result.all)")
            let revoke = try #require(order.first("DELETE") { $0.hasSuffix(leaked.id) }, "\(order.requests)")
            let created = try #require(order.first("POST", Self.create), "\(order.requests)")
            #expect(revoke < created, "the leaked token must die before anything is created: \(order.requests)")
            #expect(order.first("PUT", Self.secretPUT).map { revoke < $0 } == true)
            try expectRotatedAway(from: leaked, world)

            // The blast radius came first, and said what `first` costs.
            #expect(result.stderrMessages.contains("EMERGENCY rotation of api-production-ci requested by oncall-alice: \"token printed in a public CI log\""), "\(result.stderr)")
            #expect(result.stderr.contains("writes:   github:acme/api/ENVSHED_TOKEN"))
            #expect(result.stderr.contains("\(leaked.id) FIRST, before anything else: CI pipelines and pods that use it fail until the push to every target completes"))
            #expect(result.stderr.contains("fail until the push completes"))
            // The monitor saw exactly the exception being used, and nothing else.
            #expect(!world.outageViolations.isEmpty && world.outageViolations.allSatisfy { $0.contains(leaked.id) }, "\(world.outageViolations)")

            let history = try await world.rotator(["history", "api-production-ci", "--json"])
            #expect(history.exitCode == 0, "\(history.all)")
            let records = try #require((try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any])?["records"] as? [[String: Any]])
            let started = try #require(records.first { $0["event"] as? String == "run_started" && $0["command"] as? String == "rotate" })
            #expect(started["reason"] as? String == "token printed in a public CI log")
            #expect(started["user"] as? String == "oncall-alice")
            #expect(started["emergency"] as? Bool == true)
            #expect(started["revoke_old"] as? String == "first")
            #expect(records.contains { $0["step"] as? String == "revoke" && $0["token_id"] as? String == leaked.id && ($0["detail"] as? String)?.contains("before anything else") == true })
            try world.expectNoSecretsLeaked([result, history])
        }
    }

    @Test("--revoke-old immediately: test pull, then the pushes, then DELETE before the read-backs")
    func revokeImmediately() async throws {
        try await Scenario.with(allowingRevocationOfHeldTokens: true) { world in
            let leaked = try await rotatedOnce(world)
            let order = RequestOrder(world)
            let result = try await world.rotator(["rotate", "api-production-ci", "--reason", "leaked", "--emergency", "--revoke-old", "immediately", "--yes"])
            #expect(result.exitCode == 0, "\(result.all)")
            let revoke = try #require(order.first("DELETE") { $0.hasSuffix(leaked.id) }, "\(order.requests)")
            let lastPUT = try #require(order.last("PUT", Self.secretPUT))
            let pull = try #require(order.first("GET", Self.pull))
            let firstReadBack = try #require(order.first("GET", Self.secretPUT))
            #expect(pull < lastPUT && lastPUT < revoke && revoke < firstReadBack, "expected test pull < PUT… < DELETE < read-backs: \(order.requests)")
            #expect(result.stderr.contains("right after the pushes (the test pull passed), before the read-backs"))
            #expect(world.outageViolations.isEmpty, "every GitHub target already held the (unverified) successor when the old token died")
            try expectRotatedAway(from: leaked, world)
        }
    }

    @Test("--revoke-old after-verify (the default): test pull before the pushes, DELETE after every read-back; I1 holds")
    func revokeAfterVerify() async throws {
        try await Scenario.with { world in
            let leaked = try await rotatedOnce(world)
            let order = RequestOrder(world)
            let result = try await world.rotator(["rotate", "api-production-ci", "--reason", "suspected leak", "--emergency", "--yes"])
            #expect(result.exitCode == 0, "\(result.all)")
            let revoke = try #require(order.first("DELETE") { $0.hasSuffix(leaked.id) }, "\(order.requests)")
            let pull = try #require(order.first("GET", Self.pull))
            let lastReadBack = try #require(order.last("GET", Self.secretPUT))
            let lastPUT = try #require(order.last("PUT", Self.secretPUT))
            let firstPUT = try #require(order.first("PUT", Self.secretPUT))
            #expect(pull < firstPUT && lastPUT < revoke && lastReadBack < revoke, "expected pull < PUTs < read-backs < DELETE: \(order.requests)")
            try expectRotatedAway(from: leaked, world)
        }
    }

    @Test("a non-emergency rotate of a token that is not due rotates it, keeping I1; a token pasted into --reason is scrubbed")
    func forcedRotation() async throws {
        try await Scenario.with { world in
            let leaked = try await rotatedOnce(world)
            // Someone pastes the token itself into the reason: it is scrubbed everywhere.
            let pasted = "envshed_svc_PASTEDabc123456789xyz"
            let result = try await world.rotator(["rotate", "api-production-ci", "--reason", "routine re-key after \(pasted) was seen", "--yes", "--json"])
            #expect(result.exitCode == 0, "\(result.all)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(document["reason"] as? String == "routine re-key after envshed_<redacted> was seen")
            #expect(!result.all.contains("PASTEDabc"))
            let audit = try String(contentsOfFile: world.stateDirectory + "/audit.jsonl", encoding: .utf8)
            #expect(!audit.contains("PASTEDabc"))
            #expect(audit.contains("routine re-key after envshed_<redacted> was seen"))
            #expect(document["emergency"] as? Bool == false)
            let radius = try #require(document["blast_radius"] as? [String: Any])
            #expect(radius["targets"] as? [String] == ["github:acme/api/ENVSHED_TOKEN", "github:acme/api@production/ENVSHED_TOKEN"])
            #expect((radius["token"] as? [String: Any])?["id"] as? String == leaked.id)
            try expectRotatedAway(from: leaked, world)
        }
    }

    @Test("without a terminal and without --yes: exit 64, nothing touched; --revoke-old first needs --emergency")
    func refusals() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 20)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            let noYes = try await world.rotator(["rotate", "api-production-ci", "--reason", "leak", "--emergency"])
            #expect(noYes.exitCode == 64, "\(noYes.all)")
            #expect(noYes.stderr.contains("stdin is not a terminal"), "\(noYes.stderr)")
            #expect(noYes.stderr.contains("pass --yes"))
            let notEmergency = try await world.rotator(["rotate", "api-production-ci", "--reason", "leak", "--revoke-old", "first", "--yes"])
            #expect(notEmergency.exitCode == 64, "\(notEmergency.all)")
            #expect(notEmergency.stderr.contains("allowed only with --emergency"))
            let noReason = try await world.rotator(["rotate", "api-production-ci", "--reason", " ", "--yes"])
            #expect(noReason.exitCode == 64, "\(noReason.all)")
            let unknown = try await world.rotator(["rotate", "nope", "--reason", "x", "--yes"])
            #expect(unknown.exitCode == 64, "\(unknown.all)")
            #expect(world.writeRequests.isEmpty, "\(world.writeRequests.map { "\($0.method) \($0.path)" })")
            #expect(world.envshed.token(id: old.id)?.isLive == true)
        }
    }

    @Test("the nightly run holds the lock: rotate says it is waiting, naming the PID; 75 when the wait runs out, rotates once it is free")
    func waitsForTheLock() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 20)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            try FileManager.default.createDirectory(atPath: world.stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let holder = try LockHolder(path: world.stateDirectory + "/lock", pid: 4242)

            let gaveUp = try await world.rotator(["rotate", "api-production-ci", "--reason", "leak", "--emergency", "--yes", "--wait-for-lock", "1"])
            #expect(gaveUp.exitCode == 75, "\(gaveUp.all)")
            #expect(gaveUp.stderr.contains("waiting for the nightly run (pid 4242) to finish"), "\(gaveUp.stderr)")
            #expect(world.writeRequests.isEmpty)

            let waiting = try world.startRotator(["rotate", "api-production-ci", "--reason", "leak", "--emergency", "--yes", "--wait-for-lock", "60"])
            try await Task.sleep(for: .milliseconds(1_500))
            holder.release()
            let rotated = try await waiting.wait()
            #expect(rotated.exitCode == 0, "\(rotated.all)")
            #expect(rotated.stderr.contains("waiting for the nightly run (pid 4242) to finish"))
            #expect(world.envshed.token(id: old.id)?.revokedAt != nil)
        }
    }
}

/// Holds the run lock the way a running `run` does: an exclusive `flock` with the holder's line.
final class LockHolder: @unchecked Sendable {
    private var descriptor: Int32

    init(path: String, pid: Int) throws {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0, flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            throw CocoaError(.fileLocking)
        }
        let line = "pid=\(pid) started=2026-01-01T03:00:00Z command=run\n"
        ftruncate(descriptor, 0)
        _ = line.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
