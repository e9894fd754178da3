import Foundation

/// One entry of the plan's `notify:` list: where failures, `needs_attention`, emergency rotations
/// and tokens inside their warning window are announced. Credentials are references, like every
/// other credential of the plan.
public struct NotificationChannel: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A Slack incoming webhook. The webhook URL is itself a secret, so it is a reference.
        case slack(webhook: CredentialReference)
        /// A generic HTTPS endpoint; the JSON body is signed with HMAC-SHA256 under `secret`.
        case webhook(url: URL, secret: CredentialReference)
        /// PagerDuty Events API v2, for failures only.
        case pagerDuty(routingKey: CredentialReference, severity: PagerDutySeverity, apiURL: URL)
    }

    public var kind: Kind
    /// Also send a summary after a run that ended well (`on_success: true`).
    public var onSuccess: Bool
    /// Where the plan declared it (`notify[1]`), for messages.
    public var name: String

    public init(kind: Kind, onSuccess: Bool, name: String) {
        self.kind = kind
        self.onSuccess = onSuccess
        self.name = name
    }

    /// `slack`, `webhook`, `pagerduty`: how logs and the audit trail name the channel (never its URL
    /// when the URL is a secret).
    public var label: String {
        switch kind {
        case .slack: "\(name) (slack)"
        case .webhook(let url, _): "\(name) (webhook \(url.host ?? "?"))"
        case .pagerDuty: "\(name) (pagerduty)"
        }
    }
}

/// `severity:` of a PagerDuty channel: the values Events API v2 accepts that mean "wake someone".
public enum PagerDutySeverity: String, Sendable, Hashable, CaseIterable {
    case critical
    case error
    case warning
}
