import Foundation
import RotatorEmulators
import Testing

/// The real binary against the emulators: a due rotation end to end, what is left alone, and
/// that nothing secret ends up anywhere.
@Suite("Rotation end to end (real binary, loopback emulators)", .serialized, .timeLimit(.minutes(5)))
struct RotationEndToEndTests {
    @Test("a due rotation puts the new token on every target, keeps scope and permission, revokes the old one; a second run does nothing")
    func dueRotation() async throws {
        try await Scenario.with { world in
            let dueOld = world.seedToken(expiresInDays: 3)
            let notDueOld = world.seedToken(environment: "staging", expiresInDays: 60)
            try world.writePlan(world.standardPlan(adoptProduction: dueOld.id, adoptStaging: notDueOld.id))

            let first = try await world.rotator(["run"])
            #expect(first.exitCode == 0, "\(first.all)")

            // Both secrets of acme/api hold the same, new token.
            let repoValue = try #require(world.githubSecret("acme/api"))
            let envValue = try #require(world.githubSecret("acme/api", environment: "production"))
            #expect(repoValue == envValue)
            let newToken = try #require(world.token(withValue: repoValue), "the target holds a value Envshed never issued")
            #expect(newToken.id != dueOld.id)
            #expect(newToken.isLive)
            #expect(newToken.scope == "environment")
            #expect(newToken.permission == "read")
            #expect(newToken.projectID == Scenario.projectID)
            #expect(newToken.environmentID == Scenario.productionID)
            #expect(newToken.name.hasPrefix("GitHub Actions deploy - api/production (rotated "))
            #expect(newToken.description?.contains("managed-by=envshed-rotator rotation=api-production-ci serial=1") == true)
            let expiry = try #require(newToken.expiresAt)
            #expect(abs(expiry.timeIntervalSinceNow - 30 * Scenario.day) < 120)

            // The adopted token is revoked; the rotation that was not due is untouched.
            #expect(world.envshed.token(id: dueOld.id)?.revokedAt != nil)
            #expect(world.envshed.token(id: notDueOld.id)?.isLive == true)
            #expect(world.githubSecret("acme/web") == nil)
            #expect(!world.github.writes.contains { $0.repository == "acme/web" })
            #expect(first.stdout.contains("api-production-ci  rotated"))
            #expect(first.stdout.contains("web-staging-ci     not due"))

            // Order of operations from the emulators' records: create, both PUTs, pull, revoke.
            let writes = world.writeRequests.sorted { $0.at < $1.at }.map { "\($0.method) \($0.path)" }
            #expect(writes.first?.hasPrefix("POST /api/v1/service-tokens/acme") == true)
            #expect(writes.last == "DELETE /api/v1/service-tokens/acme/\(dueOld.id)")
            #expect(writes.filter { $0.hasPrefix("PUT ") }.count == 2)

            // A second run changes nothing anywhere.
            let before = world.writeRequests.count
            let second = try await world.rotator(["run"])
            #expect(second.exitCode == 0, "\(second.all)")
            #expect(world.writeRequests.count == before, "the second run wrote: \(world.writeRequests.dropFirst(before).map(\.path))")
            #expect(second.stdout.contains("0 rotated, 2 not due, 0 failed"))

            // status reads the state: the new token by id and fingerprint.
            let status = try await world.rotator(["status", "--json"])
            #expect(status.exitCode == 0)
            let document = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
            let rows = try #require(document["rotations"] as? [[String: Any]])
            let api = try #require(rows.first { $0["id"] as? String == "api-production-ci" })
            let token = try #require(api["token"] as? [String: Any])
            #expect(token["id"] as? String == newToken.id)
            #expect(api["last_result"] as? String == "rotated")

            try world.expectNoSecretsLeaked([first, second, status])
        }
    }

    /// Rotations run concurrently, and with no grace period the old token is revoked as soon as
    /// the new one is verified everywhere. A stored "revocable after" instant rounded up to the
    /// next millisecond once left a few old tokens live until the next run, only under load.
    @Test("forty rotations, sixteen at a time: each target holds its own new token, every old token is revoked in the same run, I1 watched on all forty")
    func manyRotationsAtOnce() async throws {
        try await Scenario.with { world in
            let count = 40
            var plan = world.standardPlan().components(separatedBy: "rotations:")[0] + "concurrency: 16\nrotations:\n"
            var old: [String] = []
            for index in 0..<count {
                world.github.addRepository("acme/svc-\(index)", id: 5_000 + index)
                let token = world.seedToken(expiresInDays: 2)
                old.append(token.id)
                plan += """
                  - id: svc-\(index)
                    purpose: Service \(index)
                    scope: environment
                    project: { slug: api, id: \(Scenario.projectID) }
                    environment: { slug: production, id: \(Scenario.productionID) }
                    grace_minutes: 0
                    adopt: { token_id: \(token.id) }
                    targets:
                      - github: { repo: acme/svc-\(index), secret: ENVSHED_TOKEN }

                """
            }
            try world.writePlan(plan)
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            #expect(result.stdout.contains("\(count) rotated"), "\(result.stdout)")
            var values = Set<String>()
            for index in 0..<count {
                let current = world.token(withValue: world.githubSecret("acme/svc-\(index)"))
                #expect(current?.isLive == true, "svc-\(index) holds no live token")
                if let value = current?.value { values.insert(value) }
                #expect(world.envshed.token(id: old[index])?.revokedAt != nil, "svc-\(index): the old token is still live")
            }
            #expect(values.count == count, "each rotation has its own token")
            // Rotations in flight (from its create to its revoke): several at once, never above 16.
            var inFlight = 0
            var most = 0
            for event in world.events where event.host == .envshed {
                if event.isArrival && event.request.method == "POST" { inFlight += 1 }
                if !event.isArrival && event.request.method == "DELETE" { inFlight -= 1 }
                most = max(most, inFlight)
            }
            #expect((2...16).contains(most), "rotations in flight at once: \(most); concurrency is 16")
        }
    }

    @Test("JSON logs carry one line per step with the SPEC keys")
    func jsonLogLines() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 2)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            let result = try await world.rotator(["run", "--only", "api-production-ci"])
            #expect(result.exitCode == 0, "\(result.all)")
            let lines = result.stderr.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            let steps = lines.compactMap { $0["step"] as? String }
            #expect(steps == ["plan", "create", "verify", "push", "push", "verify", "verify", "revoke", "done"], "\(result.stderr)")
            // Step lines (progress lines and messages carry no step).
            for line in lines where line["step"] != nil && line["step"] as? String != "plan" && line["step"] as? String != "done" {
                for key in ["run_id", "rotation", "step", "outcome", "duration_ms", "token_id"] {
                    #expect(line[key] != nil, "missing \(key) in \(line)")
                }
            }
            #expect(lines.filter { $0["step"] as? String == "push" }.allSatisfy { ($0["target"] as? String)?.hasPrefix("github:acme/api") == true })
            try world.expectNoSecretsLeaked([result])
        }
    }

    @Test("plan shows what would happen and sends no write request, creating no state; status shows the adopted token")
    func planWritesNothing() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 3)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            let text = try await world.rotator(["plan"])
            #expect(text.exitCode == 0, "\(text.all)")
            #expect(text.stdout.contains("api-production-ci: DUE"))
            #expect(text.stdout.contains("would write:  github:acme/api@production/ENVSHED_TOKEN"))
            #expect(text.stdout.contains("would revoke: \(old.id) (adopted)"))
            let json = try await world.rotator(["plan", "--json"])
            #expect(json.exitCode == 0)
            let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let rotations = try #require(document["rotations"] as? [[String: Any]])
            #expect(rotations.map { $0["due"] as? Bool } == [true, true])

            // Before any run, status shows the token the plan adopts: the one the first run replaces.
            let status = try await world.rotator(["status"])
            #expect(status.exitCode == 0, "\(status.all)")
            let productionRow = status.stdout.split(separator: "\n").first { $0.hasPrefix("api-production-ci") }.map(String.init) ?? ""
            #expect(productionRow.contains(old.id) && productionRow.contains("never run (adopted)"), "\(status.stdout)")
            let statusJSON = try await world.rotator(["status", "--json"])
            let statusDocument = try #require(try JSONSerialization.jsonObject(with: Data(statusJSON.stdout.utf8)) as? [String: Any])
            let statusRows = try #require(statusDocument["rotations"] as? [[String: Any]])
            let adopted = try #require(statusRows.first?["token"] as? [String: Any])
            #expect(adopted["id"] as? String == old.id && adopted["adopted"] as? Bool == true, "\(statusJSON.stdout)")

            #expect(world.writeRequests.isEmpty, "plan wrote: \(world.writeRequests.map { "\($0.method) \($0.path)" })")
            #expect(world.github.requests.isEmpty, "plan has no reason to call GitHub")
            #expect(!FileManager.default.fileExists(atPath: world.stateDirectory), "plan and status must not create the state")
            #expect(world.envshed.token(id: old.id)?.isLive == true)
        }
    }

    @Test("a token not yet due is left alone")
    func notDue() async throws {
        try await Scenario.with { world in
            let production = world.seedToken(expiresInDays: 20)
            let staging = world.seedToken(environment: "staging", expiresInDays: 45)
            try world.writePlan(world.standardPlan(adoptProduction: production.id, adoptStaging: staging.id))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            #expect(world.writeRequests.isEmpty)
            #expect(world.github.requests.isEmpty)
            #expect(world.envshed.tokens.count == 2)
            #expect(result.stdout.contains("0 rotated, 2 not due"))
        }
    }

    @Test("another envshed-rotator run holding the lock makes run exit 75 naming that run's pid, sending nothing")
    func lockHeld() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 3)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            // The holder is a real run, held inside its first request (the token list) for a while.
            world.envshed.inject(.delay(.seconds(3), method: "GET", pathContains: "/api/v1/service-tokens/"))
            let holder = try world.startRotator(["run"])
            let deadline = ContinuousClock.now.advanced(by: .seconds(20))
            while world.events.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            let before = world.events.count
            let result = try await world.rotator(["run"])
            let during = world.events[before...].filter(\.isArrival)
            #expect(result.exitCode == 75, "\(result.all)")
            #expect(result.stderr.contains("another envshed-rotator run holds"), "\(result.stderr)")
            #expect(result.stderr.contains("pid=\(holder.pid)"), "the holder is named by its pid \(holder.pid): \(result.stderr)")
            #expect(during.isEmpty, "the refused run sent requests: \(during.map(\.line))")
            let held = try await holder.wait()
            #expect(held.exitCode == 0, "\(held.all)")
        }
    }
}
