import Crypto
import Foundation
import RotatorEmulators
import Testing

/// `notify:` — Slack, signed webhooks and PagerDuty, delivered to a loopback receiver.
@Suite("Notifications (real binary, loopback receiver)", .serialized, .timeLimit(.minutes(5)))
struct NotificationTests {
    /// HMAC-SHA256 of `body` under the receiver's secret, as the receiving end would check it.
    static func signature(_ body: Data) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(Receiver.webhookSecret.utf8)))
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }

    private func expectNoTokenValues(_ deliveries: [WebhookReceiver.Delivery], _ world: Scenario, sourceLocation: SourceLocation = #_sourceLocation) {
        let secrets = world.tokenValues + [world.adminToken, world.githubToken]
        for delivery in deliveries {
            let everything = delivery.text + delivery.headers.values.joined(separator: "\n")
            for secret in secrets {
                #expect(!everything.contains(secret), "a token value in a notification to \(delivery.path)", sourceLocation: sourceLocation)
                #expect(!everything.contains(String(secret.suffix(16))), sourceLocation: sourceLocation)
            }
        }
    }

    @Test("a failure reaches Slack ({text}), the webhook (signed, HMAC verified) and PagerDuty (Events v2 trigger); no token value anywhere")
    func failure() async throws {
        try await Receiver.with { receiver in
            try await Scenario.with { world in
                let old = world.seedToken(expiresInDays: 5)
                try world.writePlan(world.standardPlan(adoptProduction: old.id, extra: receiver.notifyYAML()))
                world.envshed.inject(InjectedFault(method: "POST", pathContains: "/service-tokens/", status: 500, times: 100))
                let result = try await world.rotator(["run", "--only", "api-production-ci"], extraEnvironment: receiver.environment)
                #expect(result.exitCode == 1, "\(result.all)")

                let slack = try #require(receiver.slack.first, "no Slack delivery: \(receiver.receiver.deliveries.map(\.path))")
                #expect(receiver.slack.count == 1)
                #expect(slack.json?.keys.sorted() == ["text"])
                let text = try #require(slack.json?["text"] as? String)
                #expect(text.hasPrefix("[envshed-rotator acme] FAILED: rotation api-production-ci failed at create"), "\(text)")
                #expect(text.contains("the old token \(old.id) stays valid"))
                #expect(slack.header("content-type") == "application/json")

                let hook = try #require(receiver.webhook.first)
                #expect(receiver.webhook.count == 1, "no summary after a failure")
                #expect(hook.header("x-envshed-rotator-signature") == Self.signature(hook.body), "the signature must be HMAC-SHA256 of the exact body")
                #expect(hook.header("x-envshed-rotator-event") == "failure")
                let event = try #require(hook.json)
                #expect(event["event"] as? String == "failure")
                #expect(event["rotation"] as? String == "api-production-ci")
                #expect(event["org"] as? String == "acme")
                #expect((event["details"] as? [String: Any])?["step"] as? String == "create")

                let page = try #require(receiver.pagerDuty.first)
                #expect(receiver.pagerDuty.count == 1)
                let trigger = try #require(page.json)
                #expect(trigger["routing_key"] as? String == Receiver.routingKey)
                #expect(trigger["event_action"] as? String == "trigger")
                #expect(trigger["dedup_key"] as? String == "envshed-rotator/acme/api-production-ci")
                let payload = try #require(trigger["payload"] as? [String: Any])
                #expect((payload["summary"] as? String)?.contains("rotation api-production-ci failed at create") == true)
                #expect(payload["severity"] as? String == "critical")
                #expect((payload["source"] as? String)?.isEmpty == false)
                #expect(page.status == 202)

                // The Slack webhook URL is a secret: it must not be logged.
                #expect(!result.all.contains("XXXXSECRETPATH"))
                expectNoTokenValues(receiver.receiver.deliveries, world)
                try world.expectNoSecretsLeaked([result])
            }
        }
    }

    @Test("success: only on_success channels get the summary, PagerDuty nothing; the signature verifies")
    func successSummary() async throws {
        try await Receiver.with { receiver in
            try await Scenario.with { world in
                let old = world.seedToken(expiresInDays: 5)
                try world.writePlan(world.standardPlan(adoptProduction: old.id, extra: receiver.notifyYAML(onSuccess: true)))
                let result = try await world.rotator(["run"], extraEnvironment: receiver.environment)
                #expect(result.exitCode == 0, "\(result.all)")
                #expect(receiver.slack.isEmpty)
                #expect(receiver.pagerDuty.isEmpty)
                let hook = try #require(receiver.webhook.first)
                #expect(receiver.webhook.count == 1)
                #expect(hook.header("x-envshed-rotator-signature") == Self.signature(hook.body))
                #expect(hook.json?["event"] as? String == "success")
                #expect((hook.json?["summary"] as? String)?.contains("2 rotated (api-production-ci, web-staging-ci)") == true, "\(hook.text)")
                expectNoTokenValues(receiver.receiver.deliveries, world)
            }
        }
    }

    @Test("an endpoint that keeps failing is retried and logged; the exit code does not change")
    func failingEndpoint() async throws {
        try await Receiver.with { receiver in
            try await Scenario.with { world in
                let old = world.seedToken(expiresInDays: 5)
                try world.writePlan(world.standardPlan(adoptProduction: old.id, extra: receiver.notifyYAML(onSuccess: true)))
                receiver.receiver.failFirst(1_000)
                let result = try await world.rotator(["run", "--only", "api-production-ci"], extraEnvironment: receiver.environment)
                #expect(result.exitCode == 0, "a notification must not fail the run: \(result.all)")
                #expect(receiver.webhook.count > 1, "retried: \(receiver.webhook.count)")
                #expect(receiver.webhook.allSatisfy { $0.status == 500 })
                #expect(result.stderr.contains("not delivered"), "\(result.stderr)")
                let current = try #require(world.token(withValue: world.githubSecret("acme/api")))
                #expect(current.isLive)
                let history = try await world.rotator(["history", "--json"])
                #expect(history.stdout.contains("\"event\" : \"notification\""), "\(history.stdout)")
            }
        }
    }

    @Test("a delivery that fails once is retried and arrives")
    func retriedOnce() async throws {
        try await Receiver.with { receiver in
            try await Scenario.with { world in
                let old = world.seedToken(expiresInDays: 5)
                try world.writePlan(world.standardPlan(adoptProduction: old.id, extra: receiver.notifyYAML(onSuccess: true)))
                receiver.receiver.failFirst(1)
                let result = try await world.rotator(["run", "--only", "api-production-ci"], extraEnvironment: receiver.environment)
                #expect(result.exitCode == 0, "\(result.all)")
                #expect(receiver.webhook.map(\.status) == [500, 200])
                #expect(receiver.webhook[0].body == receiver.webhook[1].body, "the same message is sent again")
                #expect(!result.stderr.contains("not delivered"))
            }
        }
    }

    @Test("a failure inside the warning window says how long is left, exits 3 and pages")
    func expiringSoon() async throws {
        try await Receiver.with { receiver in
            try await Scenario.with { world in
                let old = world.seedToken(expiresInDays: 1)
                try world.writePlan(world.standardPlan(adoptProduction: old.id, warnBeforeDays: 3, extra: receiver.notifyYAML()))
                world.envshed.inject(InjectedFault(method: "POST", pathContains: "/service-tokens/", status: 503, times: 100))
                let result = try await world.rotator(["run", "--only", "api-production-ci"], extraEnvironment: receiver.environment)
                #expect(result.exitCode == 3, "\(result.all)")
                let event = try #require(receiver.webhook.first?.json)
                #expect(event["event"] as? String == "expiring_soon")
                let summary = try #require(event["summary"] as? String)
                #expect(summary.contains("inside its 3-day warning window"), "\(summary)")
                #expect(summary.contains("expires in 23h") || summary.contains("expires in 1d"), "\(summary)")
                #expect((event["details"] as? [String: Any])?["old_token_expires_in"] != nil)
                #expect(receiver.pagerDuty.count == 1)
            }
        }
    }

    @Test("an emergency rotation is announced when it starts and when it is done, with reason and user; PagerDuty stays quiet")
    func emergency() async throws {
        try await Receiver.with { receiver in
            try await Scenario.with(allowingRevocationOfHeldTokens: true) { world in
                let old = world.seedToken(expiresInDays: 20)
                try world.writePlan(world.standardPlan(adoptProduction: old.id, extra: receiver.notifyYAML(onSuccess: false)))
                var environment = receiver.environment
                environment["USER"] = "oncall-bob"
                let result = try await world.rotator(
                    ["rotate", "api-production-ci", "--reason", "pasted in chat", "--emergency", "--revoke-old", "first", "--yes"],
                    extraEnvironment: environment
                )
                #expect(result.exitCode == 0, "\(result.all)")
                let texts = receiver.slack.compactMap { $0.json?["text"] as? String }
                #expect(texts.count == 2, "\(texts)")
                #expect(texts.first?.contains("EMERGENCY ROTATION: emergency rotation of api-production-ci started by oncall-bob: \"pasted in chat\"") == true, "\(texts)")
                #expect(texts.first?.contains("CI pipelines that use it fail until the push completes") == true)
                #expect(texts.last?.contains("done: every target holds") == true)
                let events = receiver.webhook.compactMap { $0.json }
                #expect(events.map { $0["event"] as? String } == ["emergency", "emergency"])
                #expect((events.first?["details"] as? [String: Any])?["reason"] as? String == "pasted in chat")
                #expect(receiver.pagerDuty.isEmpty)
                expectNoTokenValues(receiver.receiver.deliveries, world)
            }
        }
    }
}
