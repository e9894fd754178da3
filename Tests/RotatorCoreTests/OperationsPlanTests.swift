import Foundation
@testable import RotatorCore
import Testing

/// `notify:` and `metrics_file:` in the plan: parsed, located, with "did you mean".
@Suite("Plan: notify and metrics_file")
struct OperationsPlanTests {
    static let notify = """
        notify:
          - slack: { webhook: env:SLACK_WEBHOOK_URL }
          - webhook: { url: https://hooks.example.com/rotator, secret: systemd:webhook-secret, on_success: true }
          - pagerduty: { routing_key: file:/etc/envshed-rotator/pd, severity: error }
        metrics_file: /var/lib/prometheus/node-exporter/envshed_rotator.prom

        """

    @Test("every channel and metrics_file parse; PagerDuty defaults to the Events API v2 URL")
    func parses() throws {
        let plan = try PlanLoader.parse(PlanFixtures.valid + Self.notify, file: "plan.yaml")
        #expect(plan.notifications.count == 3)
        #expect(plan.notifications[0].kind == .slack(webhook: .environment("SLACK_WEBHOOK_URL")))
        #expect(plan.notifications[0].onSuccess == false)
        let hook = try #require(URL(string: "https://hooks.example.com/rotator"))
        #expect(plan.notifications[1].kind == .webhook(url: hook, secret: .systemd("webhook-secret")))
        #expect(plan.notifications[1].onSuccess)
        let events = try #require(URL(string: "https://events.pagerduty.com/v2/enqueue"))
        #expect(plan.notifications[2].kind == .pagerDuty(routingKey: .file("/etc/envshed-rotator/pd"), severity: .error, apiURL: events))
        #expect(plan.metricsFile == "/var/lib/prometheus/node-exporter/envshed_rotator.prom")
        #expect(plan.defaultWarnBeforeDays == 3)
        let none = try PlanLoader.parse(PlanFixtures.valid, file: "plan.yaml")
        #expect(none.notifications.isEmpty && none.metricsFile == nil)
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        let name: String
        let original: String
        let replacement: String
        let message: String
        let line: Int
        var testDescription: String { name }
    }

    static let bad: [Bad] = [
        Bad(name: "misspelt channel", original: "  - slack: {", replacement: "  - slak: {", message: "notify[0]: unknown key 'slak'; did you mean 'slack'?", line: 2),
        Bad(name: "misspelt key", original: "on_success: true }", replacement: "on_sucess: true }", message: "unknown key 'on_sucess'; did you mean 'on_success'?", line: 3),
        Bad(name: "literal webhook URL", original: "webhook: env:SLACK_WEBHOOK_URL", replacement: "webhook: https://hooks.slack.com/services/T0/B0/x",
            message: "notify[0].slack.webhook: literal secrets are not allowed", line: 2),
        Bad(name: "plain http", original: "url: https://hooks.example.com/rotator", replacement: "url: http://hooks.example.com/rotator",
            message: "notify[1].webhook.url: plain http would send credentials in clear text", line: 3),
        Bad(name: "missing secret", original: ", secret: systemd:webhook-secret", replacement: "",
            message: "notify[1].webhook: missing required key 'secret'", line: 3),
        Bad(name: "bad severity", original: "severity: error", replacement: "severity: info",
            message: "notify[2].pagerduty.severity: 'info' is not one of critical, error, warning", line: 4),
        Bad(name: "PagerDuty summaries", original: "severity: error }", replacement: "severity: error, on_success: true }",
            message: "PagerDuty pages on failures only", line: 4),
        Bad(name: "two channels in one entry", original: "  - slack: { webhook: env:SLACK_WEBHOOK_URL }",
            replacement: "  - slack: { webhook: env:SLACK_WEBHOOK_URL }\n    webhook: { url: https://a.example, secret: env:X }",
            message: "notify[0]: one channel per entry, got slack and webhook", line: 2),
        Bad(name: "relative metrics file", original: "metrics_file: /var/lib/prometheus/node-exporter/envshed_rotator.prom",
            replacement: "metrics_file: envshed_rotator.prom", message: "metrics_file: expected an absolute path", line: 5),
    ]

    @Test("problems are located and explained", arguments: bad)
    func rejects(_ bad: Bad) throws {
        let yaml = PlanFixtures.valid + Self.notify.replacingOccurrences(of: bad.original, with: bad.replacement)
        #expect(yaml != PlanFixtures.valid + Self.notify)
        let offset = PlanFixtures.valid.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        do {
            _ = try PlanLoader.parse(yaml, file: "plan.yaml")
            Issue.record("the plan was accepted")
        } catch {
            let problem = try #require(error.diagnostics.first { $0.message.contains(bad.message) }, "\(error.description)")
            #expect(problem.location.line == offset + bad.line, "\(problem)")
        }
    }
}

/// HMAC-SHA256 signatures of the webhook channel.
@Suite("Webhook signature")
struct WebhookSignatureTests {
    @Test("RFC 4231 test case 2, and the receiver's check")
    func rfc4231() {
        let body = Data("what do ya want for nothing?".utf8)
        let value = WebhookSignature.value(body: body, secret: Secret("Jefe"))
        #expect(value == "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(WebhookSignature.isValid(value, body: body, secret: Secret("Jefe")))
        #expect(!WebhookSignature.isValid(value, body: body + Data(" ".utf8), secret: Secret("Jefe")))
        #expect(!WebhookSignature.isValid(value, body: body, secret: Secret("jefe")))
    }
}
