import Foundation

/// The body each channel kind receives for an event. Every body is serialized with sorted keys
/// and scrubbed by `Redactor` before it is signed and sent.
enum NotificationPayload {
    /// Slack incoming webhook: `{"text": …}`.
    static func slack(_ event: NotificationEvent, org: String) -> [String: Any] {
        var text = "[envshed-rotator \(org)] \(event.headline): \(event.summary)"
        if event.kind != .success { text += " (run \(event.runID))" }
        return ["text": text]
    }

    /// Generic webhook: the event as JSON.
    static func webhook(_ event: NotificationEvent, org: String, host: String, at: Date) -> [String: Any] {
        [
            "source": "envshed-rotator",
            "event": event.kind.rawValue,
            "org": org,
            "host": host,
            "run_id": event.runID,
            "rotation": event.rotationID.map { $0 as Any } ?? NSNull(),
            "summary": event.summary,
            "details": event.details,
            "sent_at": Timestamp.format(at),
        ]
    }

    /// PagerDuty Events API v2 `trigger`; one incident per rotation (`dedup_key`), so a failure
    /// that repeats every night updates the open incident instead of opening a new one.
    static func pagerDuty(_ event: NotificationEvent, org: String, host: String, routingKey: Secret, severity: PagerDutySeverity) -> [String: Any] {
        var body: [String: Any] = [
            "event_action": "trigger",
            "dedup_key": dedupKey(event, org: org),
            "payload": [
                "summary": String(event.summary.prefix(1_024)),
                "source": host,
                "severity": severity.rawValue,
                "component": event.rotationID ?? "run",
                "group": "envshed-rotator/\(org)",
                "class": event.kind.rawValue,
                "custom_details": event.details.merging(["run_id": event.runID]) { current, _ in current },
            ] as [String: Any],
        ]
        routingKey.withRevealed { body["routing_key"] = $0 }
        return body
    }

    static func dedupKey(_ event: NotificationEvent, org: String) -> String {
        "envshed-rotator/\(org)/\(event.rotationID ?? "run")"
    }

    static func encode(_ object: [String: Any]) -> Data? {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return nil
        }
        return Data(Redactor.scrub(String(decoding: data, as: UTF8.self)).utf8)
    }
}
