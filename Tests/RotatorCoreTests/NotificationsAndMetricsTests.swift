import Foundation
import Logging
@testable import RotatorCore
import Testing

@Suite("Notification events and the metrics file")
struct NotificationsAndMetricsTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let tokenValue = "envshed_svc_" + String(repeating: "Ab1", count: 13) + "x"

    static func plan() throws -> Plan {
        try PlanLoader.parse(PlanFixtures.valid + """
            notify:
              - slack: { webhook: env:SLACK }
              - webhook: { url: https://hooks.example.com/x, secret: env:HOOK, on_success: true }
              - pagerduty: { routing_key: env:PD }

            """, file: "plan.yaml")
    }

    static func failure(holding: [String] = [], expiresIn days: Double, reason: String = "GitHub answered 422") -> RotationOutcome {
        RotationOutcome(
            rotationID: "api-production-ci",
            result: .failed(RotationFailure(
                rotationID: "api-production-ci", step: .push, target: "github:acme/api@production/ENVSHED_TOKEN", reason: reason,
                oldTokenID: "old-1", oldTokenExpiresAt: now.addingTimeInterval(days * 86_400), targetsHoldingNewToken: holding
            )),
            revokedTokenIDs: [], revocationErrors: []
        )
    }

    @Test("failure, needs_attention and expiring_soon by what was left behind and the time left")
    func kinds() throws {
        let plan = try Self.plan()
        func kind(_ outcome: RotationOutcome) -> NotificationEvent.Kind? {
            NotificationEvent.events(runID: "r", command: "run", outcomes: [outcome], plan: plan, exit: .failure, now: Self.now, rotate: nil).first?.kind
        }
        #expect(kind(Self.failure(expiresIn: 5)) == .failure)
        #expect(kind(Self.failure(holding: ["github:acme/api/ENVSHED_TOKEN"], expiresIn: 5)) == .needsAttention)
        let expiring = NotificationEvent.events(runID: "r", command: "run", outcomes: [Self.failure(expiresIn: 1)], plan: plan, exit: .expiringSoon, now: Self.now, rotate: nil)
        #expect(expiring.map(\.kind) == [.expiringSoon])
        #expect(expiring[0].summary.contains("inside its 3-day warning window: expires in 1d 0h"))
        #expect(expiring[0].details["old_token_expires_in"] == "1d 0h")
        let success = NotificationEvent.events(
            runID: "r", command: "run", outcomes: [RotationOutcome(rotationID: "web-staging", result: .notDue, revokedTokenIDs: [], revocationErrors: [])],
            plan: plan, exit: .success, now: Self.now, rotate: nil
        )
        #expect(success.map(\.kind) == [.success])
    }

    @Test("which channel gets what: PagerDuty only failures, summaries only with on_success")
    func routing() throws {
        let plan = try Self.plan()
        let (slack, webhook, pagerDuty) = (plan.notifications[0], plan.notifications[1], plan.notifications[2])
        let failure = NotificationEvent(kind: .failure, runID: "r", rotationID: "a", summary: "s", details: [:])
        let success = NotificationEvent(kind: .success, runID: "r", rotationID: nil, summary: "s", details: [:])
        let emergency = NotificationEvent(kind: .emergency, runID: "r", rotationID: "a", summary: "s", details: [:])
        #expect([slack, webhook, pagerDuty].map { Notifier.wants($0, failure) } == [true, true, true])
        #expect([slack, webhook, pagerDuty].map { Notifier.wants($0, success) } == [false, true, false])
        #expect([slack, webhook, pagerDuty].map { Notifier.wants($0, emergency) } == [true, true, false])
    }

    @Test("request shapes: Slack {text}, signed webhook, PagerDuty Events v2; no token value even if one slipped into a reason")
    func requests() throws {
        let plan = try Self.plan()
        let environment = RotatorEnvironment(
            variables: ["SLACK": "https://hooks.slack.com/services/T/B/secretpath", "HOOK": "s3cret", "PD": "0123456789abcdef0123456789abcdef"],
            transport: NoTransport(), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), now: { Self.now }
        )
        let notifier = Notifier(plan: plan, environment: environment, audit: nil)
        let event = NotificationEvent.events(
            runID: "r1", command: "run", outcomes: [Self.failure(expiresIn: 5, reason: "echoed \(Self.tokenValue)")], plan: plan, exit: .failure,
            now: Self.now, rotate: nil
        )[0]

        let slack = try notifier.makeRequest(event, for: plan.notifications[0])
        #expect(slack.method == "POST" && slack.isIdempotent)
        #expect(slack.summary == "POST Slack webhook of notify[0]", "the webhook URL is a secret and is never what logs show")
        let slackData = try #require(slack.body)
        let slackBody = try #require(try JSONSerialization.jsonObject(with: slackData) as? [String: Any])
        #expect(slackBody.keys.sorted() == ["text"])

        let webhook = try notifier.makeRequest(event, for: plan.notifications[1])
        let body = try #require(webhook.body)
        #expect(webhook.headers["X-Envshed-Rotator-Signature"] == WebhookSignature.value(body: body, secret: Secret("s3cret")))
        #expect(webhook.headers["Content-Type"] == "application/json")

        let page = try notifier.makeRequest(event, for: plan.notifications[2])
        #expect(page.url.absoluteString == "https://events.pagerduty.com/v2/enqueue")
        let pageData = try #require(page.body)
        let trigger = try #require(try JSONSerialization.jsonObject(with: pageData) as? [String: Any])
        #expect(trigger["routing_key"] as? String == "0123456789abcdef0123456789abcdef")
        #expect(trigger["event_action"] as? String == "trigger")
        #expect(trigger["dedup_key"] as? String == "envshed-rotator/acme/api-production-ci")
        let payload = try #require(trigger["payload"] as? [String: Any])
        #expect(payload["severity"] as? String == "critical")
        #expect(Set(payload.keys).isSuperset(of: ["summary", "source", "severity"]))

        for request in [slack, webhook, page] {
            let text = String(decoding: request.body ?? Data(), as: UTF8.self)
            #expect(!text.contains(Self.tokenValue), "a token value in a notification body")
            #expect(text.contains("envshed_<redacted>"))
        }
    }

    @Test("the metrics file: HELP and TYPE for each metric, labels escaped, zero counters present")
    func metricsText() {
        let file = MetricsFile(
            finishedAt: Self.now, success: false, exitCode: 3, duration: .milliseconds(1_500),
            expiries: ["api-production-ci": Self.now.addingTimeInterval(86_400), "we\"ird": Self.now],
            counters: [MetricsFile.rotationsTotal: ["rotated": 4], MetricsFile.failuresTotal: ["github": 2]]
        )
        let text = file.text
        #expect(text.hasSuffix("\n"))
        #expect(text.contains("# HELP envshed_rotator_last_run_timestamp_seconds "))
        #expect(text.contains("envshed_rotator_last_run_timestamp_seconds 1800000000\n"))
        #expect(text.contains("envshed_rotator_last_run_success 0\n"))
        #expect(text.contains("envshed_rotator_run_duration_seconds 1.500\n"))
        #expect(text.contains("envshed_rotator_token_expiry_timestamp_seconds{rotation=\"api-production-ci\"} 1800086400\n"))
        #expect(text.contains("{rotation=\"we\\\"ird\"}"))
        #expect(text.contains("# TYPE envshed_rotator_rotations_total counter"))
        #expect(text.contains("envshed_rotator_rotations_total{outcome=\"rotated\"} 4\n"))
        #expect(text.contains("envshed_rotator_rotations_total{outcome=\"failed\"} 0\n"))
        #expect(text.contains("envshed_rotator_failures_total{provider=\"github\"} 2\n"))
        #expect(text.contains("envshed_rotator_failures_total{provider=\"kubernetes\"} 0\n"))
        let types = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.count
        #expect(types == text.split(separator: "\n").filter { $0.hasPrefix("# HELP ") }.count)
    }

    @Test("increments: outcome per rotation, failure per provider")
    func increments() {
        let increments = MetricsFile.increments([
            Self.failure(expiresIn: 5),
            Self.failure(holding: ["x"], expiresIn: 5),
            RotationOutcome(rotationID: "b", result: .notDue, revokedTokenIDs: [], revocationErrors: ["t: 500"]),
        ])
        #expect(increments[MetricsFile.rotationsTotal] == ["failed": 1, "needs_attention": 1])
        #expect(increments[MetricsFile.failuresTotal] == ["github": 2, "envshed": 1])
        #expect(MetricsFile.increments([], abortedBy: "envshed")[MetricsFile.failuresTotal] == ["envshed": 1])
        #expect(MetricsFile.provider(of: nil) == "envshed")
        #expect(MetricsFile.provider(of: "envshed:api/production") == "envshed")
        #expect(MetricsFile.provider(of: "kubernetes:api/envshed#K") == "kubernetes")
    }
}

/// A transport that must not be used.
private struct NoTransport: HTTPTransport {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        Issue.record("unexpected request \(request.summary)")
        return HTTPResponse(status: 500)
    }
}
