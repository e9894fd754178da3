import Foundation
import RotatorEmulators
import Testing

/// Mistakes found before the first real run: `notify test`, every credential resolved before any
/// change, `validate --offline` for CI runners.
@Suite("Preflight: notify test, credentials first, validate --offline (real binary)", .serialized, .timeLimit(.minutes(5)))
struct PreflightTests {
    @Test("notify test reaches every channel, PagerDuty included (trigger then resolve); no secret printed")
    func notifyTest() async throws {
        try await Receiver.with { receiver in
            try await Scenario.with { world in
                let old = world.seedToken(expiresInDays: 20)
                try world.writePlan(world.standardPlan(adoptProduction: old.id, extra: receiver.notifyYAML(onSuccess: false)))
                let result = try await world.rotator(["notify", "test"], extraEnvironment: receiver.environment)
                #expect(result.exitCode == 0, "\(result.all)")
                #expect(result.stdout.contains("3 of 3 channel(s) took the test message"), "\(result.stdout)")
                let slack = try #require(receiver.slack.first)
                #expect((slack.json?["text"] as? String)?.contains("TEST: test message from envshed-rotator") == true, "\(slack.text)")
                // The webhook subscribes to failures only, and still gets the test.
                #expect(receiver.webhook.first?.json?["event"] as? String == "test")
                let actions = receiver.pagerDuty.compactMap { $0.json?["event_action"] as? String }
                #expect(actions == ["trigger", "resolve"], "the test incident closes itself: \(actions)")
                #expect(Set(receiver.pagerDuty.compactMap { $0.json?["dedup_key"] as? String }).count == 1)
                #expect(world.writeRequests.isEmpty, "notify test touches no provider")
                #expect(!result.all.contains("XXXXSECRETPATH"), "the Slack webhook URL is a secret")
                try world.expectNoSecretsLeaked([result])
            }
        }
    }

    @Test("a missing PagerDuty key stops run and rotate at the start with 64 naming it; nothing sent anywhere")
    func missingNotificationCredential() async throws {
        try await Receiver.with { receiver in
            try await Scenario.with { world in
                let old = world.seedToken(expiresInDays: 3)
                try world.writePlan(world.standardPlan(adoptProduction: old.id, extra: receiver.notifyYAML()))
                var environment = receiver.environment
                environment["PD_ROUTING_KEY"] = ""
                let run = try await world.rotator(["run"], extraEnvironment: environment)
                #expect(run.exitCode == 64, "\(run.all)")
                #expect(run.stderrMessages.contains("routing_key") && run.stderrMessages.contains("PD_ROUTING_KEY"), "\(run.stderr)")
                #expect(run.stderrMessages.contains("nothing was changed"))
                let rotate = try await world.rotator(["rotate", "api-production-ci", "--reason", "drill", "--yes"], extraEnvironment: environment)
                #expect(rotate.exitCode == 64, "\(rotate.all)")
                #expect(rotate.stderrMessages.contains("PD_ROUTING_KEY"), "\(rotate.stderr)")
                let notify = try await world.rotator(["notify", "test"], extraEnvironment: environment)
                #expect(notify.exitCode == 64, "\(notify.all)")
                #expect(world.allRequests.isEmpty, "\(world.allRequests.map { "\($0.method) \($0.path)" })")
                #expect(receiver.receiver.deliveries.isEmpty)
                #expect(world.envshed.token(id: old.id)?.isLive == true)
            }
        }
    }

    @Test("validate checks file targets against this machine; --offline skips those checks and nothing else")
    func validateOffline() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 20)
            try world.writePlan(world.targetsPlan(adopt: old.id, targets: [
                "file: { path: /nonexistent-envshed-dir/token, owner: no-such-user-envshed }",
                "github: { repo: acme/api, secret: ENVSHED_TOKEN }",
            ]))
            let here = try await world.rotator(["validate"])
            #expect(here.exitCode == 64, "\(here.all)")
            #expect(here.stderrMessages.contains("the directory /nonexistent-envshed-dir does not exist"), "\(here.stderr)")
            #expect(here.stderrMessages.contains("no-such-user-envshed"), "\(here.stderr)")
            let offline = try await world.rotator(["validate", "--offline"])
            #expect(offline.exitCode == 0, "\(offline.all)")
            #expect(offline.stdout.contains("OK"))

            // A real mistake still fails offline.
            try world.writePlan(world.targetsPlan(adopt: old.id, targets: ["file: { path: relative/token }"]))
            let broken = try await world.rotator(["validate", "--offline"])
            #expect(broken.exitCode == 64, "\(broken.all)")
            #expect(broken.stderrMessages.contains("expected an absolute path"), "\(broken.stderr)")
        }
    }

    @Test("plan checks, as the user that will run it, that the state directory, the metrics file and every file target are writable")
    func planHostChecks() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 20)
            let privateDirectory = world.directory + "/private"
            try FileManager.default.createDirectory(atPath: privateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try world.writePlan(world.targetsPlan(adopt: old.id, targets: ["file: { path: \(privateDirectory)/token }"]))
            let mine = try await world.rotator(["plan"])
            #expect(mine.exitCode == 0, "\(mine.all)")
            #expect(mine.stdout.contains("ok      file target of fanout: \(privateDirectory)/token"), "\(mine.stdout)")
            #expect(mine.stdout.contains("ok      state directory"), "\(mine.stdout)")

            // nobody cannot enter a 0700 directory of another user: run would fail there.
            guard getpwnam("nobody") != nil, geteuid() != (getpwnam("nobody")?.pointee.pw_uid ?? 0) else { return }
            let nobody = try await world.rotator(["plan", "--run-as", "nobody"])
            #expect(nobody.exitCode == 64, "\(nobody.all)")
            #expect(nobody.stdout.contains("CANNOT  file target of fanout: \(privateDirectory)/token"), "\(nobody.stdout)")
            #expect(nobody.stderrMessages.contains("run as nobody would fail there"), "\(nobody.stderr)")
            let json = try await world.rotator(["plan", "--run-as", "nobody", "--json"])
            let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let checks = try #require(document["host_checks"] as? [[String: Any]])
            #expect(checks.contains { $0["path"] as? String == "\(privateDirectory)/token" && $0["problem"] is String }, "\(checks)")
            #expect(world.writeRequests.isEmpty, "plan writes nothing")
            let unknown = try await world.rotator(["plan", "--run-as", "no-such-user-envshed"])
            #expect(unknown.exitCode == 64, "\(unknown.all)")
        }
    }
}
