import Foundation
import RotatorEmulators
import Synchronization
import Testing

/// Requests the Envshed and GitHub emulators received, in arrival order across both: what the
/// emergency tests read the order of steps from.
final class RequestOrder: Sendable {
    private let seen = Mutex<[String]>([])

    /// Starts recording every request of `world` as `METHOD path` when it arrives.
    init(_ world: Scenario) {
        world.onRequest { [self] request in
            guard request.phase == .received else { return }
            seen.withLock { $0.append("\(request.method) \(request.path)") }
        }
    }

    var requests: [String] { seen.withLock { $0 } }

    /// Index of the first request matching `method` whose path satisfies `path`.
    func first(_ method: String, _ path: (String) -> Bool) -> Int? {
        requests.firstIndex { line in
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            return parts.count == 2 && parts[0] == method && path(parts[1])
        }
    }

    /// Index of the last such request.
    func last(_ method: String, _ path: (String) -> Bool) -> Int? {
        requests.lastIndex { line in
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            return parts.count == 2 && parts[0] == method && path(parts[1])
        }
    }
}

/// A loopback notification receiver for one test: Slack, webhook and PagerDuty deliveries land
/// here under different paths.
struct Receiver {
    let receiver: WebhookReceiver
    let server: EmulatorServer

    static let webhookSecret = "hook-secret-" + UUID().uuidString.prefix(8)
    static let routingKey = "R0UT1NGKEY" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(22)

    static func with(_ body: (Receiver) async throws -> Void) async throws {
        let receiver = WebhookReceiver()
        let server = try await receiver.start()
        do {
            try await body(Receiver(receiver: receiver, server: server))
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    var slackURL: String { server.baseURL.absoluteString + "/slack/services/T000/B000/XXXXSECRETPATH" }
    var webhookURL: String { server.baseURL.absoluteString + "/hooks/rotator" }
    var pagerDutyURL: String { server.baseURL.absoluteString + "/v2/enqueue" }

    /// The `notify:` section with all three channels; `onSuccess` on the generic webhook.
    func notifyYAML(onSuccess: Bool = true) -> String {
        """
        notify:
          - slack: { webhook: env:SLACK_WEBHOOK_URL }
          - webhook: { url: \(webhookURL), secret: env:HOOK_SECRET, on_success: \(onSuccess) }
          - pagerduty: { routing_key: env:PD_ROUTING_KEY, severity: critical, api_url: \(pagerDutyURL) }
        """
    }

    var environment: [String: String] {
        ["SLACK_WEBHOOK_URL": slackURL, "HOOK_SECRET": Self.webhookSecret, "PD_ROUTING_KEY": Self.routingKey]
    }

    var slack: [WebhookReceiver.Delivery] { receiver.deliveries(to: "/slack/") }
    var webhook: [WebhookReceiver.Delivery] { receiver.deliveries(to: "/hooks/") }
    var pagerDuty: [WebhookReceiver.Delivery] { receiver.deliveries(to: "/v2/enqueue") }
}

extension Scenario {
    /// The standard plan with extra top-level YAML (notify:, metrics_file:) appended.
    func standardPlan(adoptProduction: String?, warnBeforeDays: Int = 3, extra: String) -> String {
        standardPlan(adoptProduction: adoptProduction, warnBeforeDays: warnBeforeDays) + extra + "\n"
    }

    /// Every token value the Envshed emulator ever issued.
    var tokenValues: [String] { envshed.tokens.map(\.value) }
}
