import Foundation
import RotatorCore
import RotatorEmulators
import Testing

/// Issue 10's three broken promises, each with several rotations sharing one Envshed org and
/// GitHub: a lost create answer, a lost or restored state directory, and the grace period. The
/// scenario's live monitor fails any test in which a token is revoked while a watched secret
/// holds it (SPEC I1).
@Suite("Several rotations sharing hosts: lost answers and lost state revoke nothing held (real binary)", .serialized)
struct SharedRotationSafetyTests {
    /// The standard plan, its rotations one after the other (so the second create is the second POST).
    private func sequentialPlan(_ world: Scenario, grace: Int? = nil) -> String {
        var plan = world.standardPlan().replacingOccurrences(of: "version: 1\n", with: "version: 1\nconcurrency: 1\n")
        if let grace {
            plan = plan.replacingOccurrences(of: "  warn_before_days:", with: "  grace_minutes: \(grace)\n  warn_before_days:")
        }
        return plan
    }

    /// Every watched GitHub secret holds a live token, and each rotation's two targets agree.
    private func expectEveryTargetLive(_ world: Scenario, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        for (repository, environment) in Scenario.watchedSecrets {
            let value = world.githubSecret(repository, environment: environment)
            #expect(world.token(withValue: value)?.isLive == true, "github:\(repository) \(environment ?? "") holds no live token", sourceLocation: sourceLocation)
        }
        #expect(world.githubSecret("acme/api") == world.githubSecret("acme/api", environment: "production"), sourceLocation: sourceLocation)
    }

    @Test("a create applied but answered with a dropped connection settles only its own rotation's token, never another rotation's of the same run")
    func lostCreateAnswerTakesOnlyItsOwnToken() async throws {
        try await Scenario.with { world in
            try world.writePlan(sequentialPlan(world))
            // The first create (api-production-ci) is answered; the second (web-staging-ci) is
            // carried out and its answer lost. Both markers carry attempt RUN-1.
            world.envshed.inject(InjectedFault(method: "POST", pathContains: "/service-tokens", status: 502, skip: 1, times: 1, behavior: .applyThenDrop))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            expectEveryTargetLive(world)
            let apiToken = try #require(world.token(withValue: world.githubSecret("acme/api")))
            #expect(apiToken.isLive, "the first rotation's new token must survive the second's settling")
            let revoked = world.envshed.tokens.filter { !$0.isLive }
            #expect(revoked.count == 1 && revoked.allSatisfy { $0.description?.contains("rotation=web-staging-ci") == true },
                    "only the token whose answer was lost is revoked: \(revoked.map { $0.description ?? "" })")
            #expect(world.envshed.tokens.filter(\.isLive).count == 2)
        }
    }

    @Test("after the state directory is lost, the tokens every target holds are not revoked while a push fails; two clean runs converge")
    func lostStateRevokesNothingHeld() async throws {
        try await Scenario.with { world in
            try world.writePlan(sequentialPlan(world))
            let first = try await world.rotator(["run"])
            #expect(first.exitCode == 0, "\(first.all)")
            let held = try #require(world.token(withValue: world.githubSecret("acme/web")))

            try FileManager.default.removeItem(atPath: world.stateDirectory)
            world.github.inject(InjectedFault(method: "PUT", pathContains: "/repos/acme/web/", status: 422, times: 1))
            let failed = try await world.rotator(["run"])
            #expect(failed.exitCode == 1, "\(failed.all)")
            #expect(world.envshed.token(id: held.id)?.isLive == true, "acme/web's token was revoked although nothing replaced it")
            #expect(failed.stderr.contains("every target may hold it"), "\(failed.stderr)")
            expectEveryTargetLive(world)

            var clean = try await world.rotator(["run"])
            if clean.exitCode != 0 { clean = try await world.rotator(["run"]) }
            #expect(clean.exitCode == 0, "\(clean.all)")
            expectEveryTargetLive(world)
            #expect(world.envshed.token(id: held.id)?.isLive == false, "once verified successors are everywhere, the unknown token goes")
            #expect(world.envshed.tokens.filter(\.isLive).count == 2, "one live token per rotation")
            try world.expectNoSecretsLeaked([first, failed, clean])
        }
    }

    @Test("a state directory restored from an older copy revokes nothing a target holds, and converges")
    func restoredOlderStateRevokesNothingHeld() async throws {
        try await Scenario.with { world in
            try world.writePlan(sequentialPlan(world))
            #expect(try await world.rotator(["run"]).exitCode == 0)
            let backup = world.directory + "/backup"
            try FileManager.default.copyItem(atPath: world.stateDirectory, toPath: backup)
            for id in ["api-production-ci", "web-staging-ci"] {
                let forced = try await world.rotator(["rotate", id, "--reason", "test", "--yes"])
                #expect(forced.exitCode == 0, "\(forced.all)")
            }
            let heldNow = try #require(world.token(withValue: world.githubSecret("acme/web")))

            try FileManager.default.removeItem(atPath: world.stateDirectory)
            try FileManager.default.moveItem(atPath: backup, toPath: world.stateDirectory)
            world.github.inject(InjectedFault(method: "PUT", pathContains: "/repos/acme/web/", status: 422, times: 1))
            let failed = try await world.rotator(["run"])
            #expect(failed.exitCode == 1, "\(failed.all)")
            #expect(world.envshed.token(id: heldNow.id)?.isLive == true)
            expectEveryTargetLive(world)

            var clean = try await world.rotator(["run"])
            if clean.exitCode != 0 { clean = try await world.rotator(["run"]) }
            #expect(clean.exitCode == 0, "\(clean.all)")
            expectEveryTargetLive(world)
            #expect(world.envshed.tokens.filter(\.isLive).count == 2)
        }
    }

    @Test("the grace period holds no lock: the run ends at once, status says when the old token goes, a later run revokes it once due")
    func graceHoldsNoLock() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 2)
            try world.writePlan(sequentialPlan(world, grace: 30).replacingOccurrences(
                of: "    targets:\n      - github: { repo: acme/api, secret: ENVSHED_TOKEN }",
                with: "    adopt: { token_id: \(old.id) }\n    targets:\n      - github: { repo: acme/api, secret: ENVSHED_TOKEN }"
            ))
            let started = ContinuousClock.now
            let rotated = try await world.rotator(["run"])
            #expect(rotated.exitCode == 0, "\(rotated.all)")
            #expect(started.duration(to: .now) < .seconds(60), "the run waited for its 30-minute grace period")
            #expect(world.envshed.token(id: old.id)?.isLive == true, "still in its grace period")

            let status = try await world.rotator(["status", "--json"])
            let document = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
            let rows = try #require(document["rotations"] as? [[String: Any]])
            let api = try #require(rows.first { $0["id"] as? String == "api-production-ci" })
            let awaiting = try #require(api["awaiting_revocation"] as? [[String: Any]])
            #expect(awaiting.count == 1 && awaiting.first?["id"] as? String == old.id && awaiting.first?["revoke_after"] is String, "\(status.stdout)")

            // Another run inside the grace period (the lock is free) leaves it alone.
            let early = try await world.rotator(["run"])
            #expect(early.exitCode == 0, "\(early.all)")
            #expect(world.envshed.token(id: old.id)?.isLive == true)

            // The grace period passes (its end moved into the past in the journal): the next run revokes it.
            let store = try SQLiteStateStore(directory: world.stateDirectory)
            var token = try #require(try store.managedTokens(rotation: "api-production-ci").first { $0.tokenID == old.id })
            token.revokeAfter = Date().addingTimeInterval(-1)
            try store.save(token)
            let later = try await world.rotator(["run"])
            #expect(later.exitCode == 0, "\(later.all)")
            #expect(world.envshed.token(id: old.id)?.isLive == false)
            expectEveryTargetLive(world)
        }
    }
}
