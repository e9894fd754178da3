import Synchronization
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
    fileprivate func sequentialPlan(_ world: Scenario, grace: Int? = nil) -> String {
        var plan = world.standardPlan().replacingOccurrences(of: "version: 1\n", with: "version: 1\nconcurrency: 1\n")
        if let grace {
            plan = plan.replacingOccurrences(of: "  warn_before_days:", with: "  grace_minutes: \(grace)\n  warn_before_days:")
        }
        return plan
    }

    /// Every watched GitHub secret holds a live token, and each rotation's two targets agree.
    /// At most two clean runs converge: the last exits 0 with every target holding a live token.
    fileprivate func convergeInTwoCleanRuns(_ world: Scenario, sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws -> RotatorProcess.Result {
        var clean = try await world.rotator(["run"])
        if clean.exitCode != 0 { clean = try await world.rotator(["run"]) }
        #expect(clean.exitCode == 0, "\(clean.all)", sourceLocation: sourceLocation)
        expectEveryTargetLive(world, sourceLocation: sourceLocation)
        return clean
    }

    fileprivate func expectEveryTargetLive(_ world: Scenario, agreeing: Bool = true, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        for (repository, environment) in [("acme/api", nil), ("acme/api", "production"), ("acme/web", nil)] as [(String, String?)] {
            let value = world.githubSecret(repository, environment: environment)
            #expect(world.token(withValue: value)?.isLive == true, "github:\(repository) \(environment ?? "") holds no live token", sourceLocation: sourceLocation)
        }
        if agreeing {
            #expect(world.githubSecret("acme/api") == world.githubSecret("acme/api", environment: "production"), sourceLocation: sourceLocation)
        }
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

            let clean = try await convergeInTwoCleanRuns(world)
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

            _ = try await convergeInTwoCleanRuns(world)
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

extension SharedRotationSafetyTests {
    private static let repoSecretPUT = "/repos/acme/api/actions/secrets/ENVSHED_TOKEN"
    private static let environmentSecretPUT = "/repos/acme/api/environments/production/secrets/ENVSHED_TOKEN"

    @Test("a token a target served is superseded with the grace period, though a later push replaced it before promotion")
    func servedTokenGetsGrace() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 5)
            try world.writePlan(sequentialPlan(world, grace: 30).replacingOccurrences(
                of: "    targets:\n      - github: { repo: acme/api, secret: ENVSHED_TOKEN }",
                with: "    adopt: { token_id: \(old.id) }\n    targets:\n      - github: { repo: acme/api, secret: ENVSHED_TOKEN }"
            ))
            world.github.inject(InjectedFault(method: "PUT", pathContains: Self.environmentSecretPUT, status: 422, times: 1))
            let failed = try await world.rotator(["run", "--only", "api-production-ci"])
            #expect(failed.exitCode == 1, "\(failed.all)")
            let served = try #require(world.token(withValue: world.githubSecret("acme/api")))
            #expect(served.id != old.id && served.isLive)

            let rolled = try await world.rotator(["run", "--only", "api-production-ci"])
            #expect(rolled.exitCode == 0, "\(rolled.all)")
            #expect(world.envshed.token(id: served.id)?.isLive == true, "acme/api served it until this run: it gets the grace period too")
            #expect(world.envshed.token(id: old.id)?.isLive == true)
            let status = try await world.rotator(["status"])
            #expect(status.stdout.contains("\(served.id) after") && status.stdout.contains("\(old.id) after"), "\(status.stdout)")
        }
    }

    @Test("a state copied during the test pull and restored after that run pushed the token everywhere revokes nothing a target holds")
    func stateCopiedMidRunRevokesNothingHeld() async throws {
        try await Scenario.with { world in
            try world.writePlan(sequentialPlan(world))
            #expect(try await world.rotator(["run"]).exitCode == 0)
            let backup = world.directory + "/backup"
            let copied = Mutex(false)
            world.onRequest { request in
                guard request.phase == .received, request.method == "GET", request.path.hasPrefix("/api/v1/secrets/") else { return }
                copied.withLock { done in
                    guard !done else { return }
                    done = (try? FileManager.default.copyItem(atPath: world.stateDirectory, toPath: backup)) != nil
                }
            }
            let forced = try await world.rotator(["rotate", "api-production-ci", "--reason", "test", "--yes"])
            #expect(forced.exitCode == 0 && copied.withLock { $0 }, "\(forced.all)")
            let pushed = try #require(world.token(withValue: world.githubSecret("acme/api")))

            try FileManager.default.removeItem(atPath: world.stateDirectory)
            try FileManager.default.moveItem(atPath: backup, toPath: world.stateDirectory)
            world.github.inject(InjectedFault(method: "PUT", pathContains: Self.environmentSecretPUT, status: 422, times: 1))
            let failed = try await world.rotator(["run"])
            #expect(failed.exitCode == 1, "\(failed.all)")
            #expect(world.envshed.token(id: pushed.id)?.isLive == true, "the restored copy knew it only as pending, yet every target holds it")
            expectEveryTargetLive(world, agreeing: false)

            _ = try await convergeInTwoCleanRuns(world)
            #expect(world.envshed.tokens.filter(\.isLive).count == 2)
        }
    }

    @Test("adopting a token another rotation manages is refused at plan time of the run; that token stays live")
    func adoptingAnotherRotationsTokenRefused() async throws {
        try await Scenario.with { world in
            try world.writePlan(sequentialPlan(world))
            #expect(try await world.rotator(["run"]).exitCode == 0)
            let apiToken = try #require(world.token(withValue: world.githubSecret("acme/api")))
            try world.writePlan(sequentialPlan(world).replacingOccurrences(of: "  - id: web-staging-ci\n", with: "  - id: web-preview-ci\n    adopt: { token_id: \(apiToken.id) }\n"))
            let writesBefore = world.writeRequests.count
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 1, "\(result.all)")
            #expect(result.stderr.contains("adopt.token_id \(apiToken.id) is the current token of rotation api-production-ci"), "\(result.stderr)")
            #expect(world.writeRequests.count == writesBefore, "nothing written")
            #expect(world.envshed.token(id: apiToken.id)?.isLive == true)
        }
    }

    @Test("a target that left the plan keeps what it may hold until a verified rotation; then it is released")
    func removedTargetKeepsItsTokenUntilVerified() async throws {
        try await Scenario.with(allowingRevocationOfHeldTokens: true) { world in
            let old = world.seedToken(expiresInDays: 5)
            let plan = world.standardPlan(adoptProduction: old.id)
            try world.writePlan(plan)
            // acme/api receives the new token but never answers (maybe written); the
            // environment secret refuses it: only the repository secret may hold it.
            world.github.inject(InjectedFault(method: "PUT", pathContains: Self.repoSecretPUT, status: 502, times: 4, behavior: .applyThenDrop))
            world.github.inject(InjectedFault(method: "PUT", pathContains: Self.environmentSecretPUT, status: 422, times: 1))
            #expect(try await world.rotator(["run", "--only", "api-production-ci"]).exitCode == 1)
            let onlyThere = try #require(world.token(withValue: world.githubSecret("acme/api")))
            #expect(onlyThere.id != old.id)

            try world.writePlan(plan.replacingOccurrences(of: "      - github: { repo: acme/api, secret: ENVSHED_TOKEN }\n", with: ""))
            // Every create attempt (three) fails.
            world.envshed.inject(InjectedFault(method: "POST", pathContains: "/service-tokens", status: 500, times: 3))
            let blocked = try await world.rotator(["run", "--only", "api-production-ci"])
            #expect(blocked.exitCode == 1, "\(blocked.all)")
            #expect(world.envshed.token(id: onlyThere.id)?.isLive == true, "the renamed or removed target may still hold it")
            #expect(world.outageViolations.isEmpty, "\(world.outageViolations)")

            let rotated = try await world.rotator(["run", "--only", "api-production-ci"])
            #expect(rotated.exitCode == 0, "\(rotated.all)")
            #expect(world.envshed.token(id: onlyThere.id)?.isLive == false, "released after the verified rotation (the tool no longer owns acme/api)")
            #expect(world.outageViolations.allSatisfy { $0.contains(onlyThere.id) && $0.contains("github:acme/api/ENVSHED_TOKEN still") }, "\(world.outageViolations)")
        }
    }
}

/// The state directory's owner rule through the real binary: a user who does not own it is
/// refused before anything is written anywhere (issue 10, item 4).
@Suite("State directory owned by someone else (real binary, setpriv)")
struct StateDirectoryOwnerTests {
    @Test("run as a user who does not own the state directory: exit 1, named, nothing written")
    func foreignOwnerRefused() async throws {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return }
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 2)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            try FileManager.default.createDirectory(atPath: world.stateDirectory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            chown(world.stateDirectory, 4242, 4242)
            chmod(world.directory, 0o755)
            chmod(world.planPath, 0o644)  // the plan holds no secret; the other user must read it
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=4243", "--regid=4243", "--clear-groups", RotatorProcess.binary.path, "run", "--config", world.planPath]
            process.environment = ["ENVSHED_TOKEN": world.adminToken, "GITHUB_TOKEN": world.githubToken, "PATH": "/usr/bin:/bin"]
            let stderr = Pipe()
            process.standardError = stderr
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let output = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 1, "\(output)")
            #expect(output.contains("owned by uid 4242, not by this user (uid 4243)"), "\(output)")
            #expect(world.writeRequests.isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: world.stateDirectory).isEmpty)
        }
    }
}
