import Foundation
import Yams

/// `notify:` and `metrics_file:`: parsed like the rest of the plan, every problem located and
/// reported at once, unknown keys with a "did you mean".
extension PlanParser {
    static let notifyKinds = ["slack", "webhook", "pagerduty"]
    static let pagerDutyDefaultURL = "https://events.pagerduty.com/v2/enqueue"

    mutating func parseNotify(_ node: Node) -> [NotificationChannel] {
        guard let items = reader.sequence(node, path: "notify") else { return [] }
        var channels: [NotificationChannel] = []
        for (index, item) in items.enumerated() {
            let path = "notify[\(index)]"
            guard let fields = reader.mapping(item, path: path, allowed: Self.notifyKinds) else { continue }
            guard fields.values.count == 1, let (kind, (_, valueNode)) = fields.values.first else {
                if fields.values.count > 1 {
                    reader.error(item, "\(path): one channel per entry, got \(fields.values.keys.sorted().joined(separator: " and "))")
                } else {
                    reader.error(item, "\(path): names no channel; expected one of \(Self.notifyKinds.joined(separator: ", "))")
                }
                continue
            }
            let channel: NotificationChannel? = switch kind {
            case "slack": parseSlack(valueNode, path: "\(path).slack", name: path)
            case "webhook": parseWebhook(valueNode, path: "\(path).webhook", name: path)
            default: parsePagerDuty(valueNode, path: "\(path).pagerduty", name: path)
            }
            if let channel { channels.append(channel) }
        }
        return channels
    }

    private mutating func parseSlack(_ node: Node, path: String, name: String) -> NotificationChannel? {
        guard let fields = reader.mapping(node, path: path, allowed: ["webhook", "on_success"]) else { return nil }
        let webhook = credential(fields, "webhook", required: true)
        let onSuccess = reader.bool(fields, "on_success") ?? false
        guard let webhook else { return nil }
        return NotificationChannel(kind: .slack(webhook: webhook), onSuccess: onSuccess, name: name)
    }

    private mutating func parseWebhook(_ node: Node, path: String, name: String) -> NotificationChannel? {
        guard let fields = reader.mapping(node, path: path, allowed: ["url", "secret", "on_success"]) else { return nil }
        let url = url(fields, "url")
        if !fields.has("url") { reader.error(node, "\(path): missing required key 'url'") }
        let secret = credential(fields, "secret", required: true)
        let onSuccess = reader.bool(fields, "on_success") ?? false
        guard let url, let secret else { return nil }
        return NotificationChannel(kind: .webhook(url: url, secret: secret), onSuccess: onSuccess, name: name)
    }

    private mutating func parsePagerDuty(_ node: Node, path: String, name: String) -> NotificationChannel? {
        let allowed = ["routing_key", "severity", "api_url", "on_success"]
        guard let fields = reader.mapping(node, path: path, allowed: allowed) else { return nil }
        let routingKey = credential(fields, "routing_key", required: true)
        let severity = enumValue(fields, "severity", PagerDutySeverity.self, required: false) ?? .critical
        let parsedURL = url(fields, "api_url")
        if reader.bool(fields, "on_success") == true, let onSuccessNode = fields.values["on_success"]?.key {
            reader.error(onSuccessNode, "\(path).on_success: PagerDuty pages on failures only; send success summaries to slack or webhook")
        }
        if fields.has("api_url") && parsedURL == nil { return nil }
        guard let routingKey, let apiURL = parsedURL ?? URL(string: Self.pagerDutyDefaultURL) else { return nil }
        return NotificationChannel(kind: .pagerDuty(routingKey: routingKey, severity: severity, apiURL: apiURL), onSuccess: false, name: name)
    }

    /// `metrics_file:`: an absolute file path. Its directory is not checked here: it may belong to
    /// node_exporter and exist only on the host that runs the timer.
    mutating func parseMetricsFile(_ top: Fields) -> String? {
        guard let path = reader.string(top, "metrics_file") else { return nil }
        guard let node = top.node("metrics_file") else { return nil }
        guard path.hasPrefix("/") else {
            reader.error(node, "metrics_file: expected an absolute path, got '\(path)'")
            return nil
        }
        guard !path.hasSuffix("/") else {
            reader.error(node, "metrics_file: expected a file path, got the directory '\(path)'")
            return nil
        }
        return path
    }
}
