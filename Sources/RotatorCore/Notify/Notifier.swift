import Foundation
import Logging

/// Sends events to the plan's `notify:` channels. Delivery is best effort by design: a channel
/// that cannot be reached is retried by the transport (the request is marked safe to repeat — a
/// duplicate message is harmless), then logged and recorded in the audit trail; it never fails a
/// rotation or changes the exit code.
struct Notifier: Sendable {
    /// Every notification request has this deadline (at most the plan's `http_timeout_seconds`).
    static let timeout: Duration = .seconds(10)

    let channels: [NotificationChannel]
    let transport: any HTTPTransport
    let variables: [String: String]
    let logger: Logger
    let audit: AuditTrail?
    let org: String
    let host: String
    let timeout: Duration
    let now: @Sendable () -> Date

    init(plan: Plan, environment: RotatorEnvironment, audit: AuditTrail?) {
        self.channels = plan.notifications
        // Retried like every other call (notifications are marked idempotent: a duplicate
        // message is harmless); not subject to the providers' budgets.
        self.transport = RetryingTransport(
            environment.transport, policy: environment.retryPolicy, logger: environment.logger, now: environment.now, sleep: environment.sleep
        )
        self.variables = environment.variables
        self.logger = environment.logger
        self.audit = audit
        self.org = plan.envshed.org
        self.host = ProcessInfo.processInfo.hostName
        self.timeout = min(plan.httpTimeout, Self.timeout)
        self.now = environment.now
    }

    /// Whether `channel` gets `event`: PagerDuty only failures; summaries only where asked for.
    static func wants(_ channel: NotificationChannel, _ event: NotificationEvent) -> Bool {
        switch channel.kind {
        case .pagerDuty: event.isFailure
        case .slack, .webhook: event.kind != .success || channel.onSuccess
        }
    }

    /// Delivers every event to every channel that wants it; channels in parallel, each channel's
    /// events in order. Returns when all are delivered or given up.
    func send(_ events: [NotificationEvent]) async {
        guard !channels.isEmpty, !events.isEmpty else { return }
        await withTaskGroup(of: Void.self) { group in
            for channel in channels {
                let wanted = events.filter { Self.wants(channel, $0) }
                guard !wanted.isEmpty else { continue }
                group.addTask {
                    for event in wanted { await deliver(event, to: channel) }
                }
            }
        }
    }

    private func deliver(_ event: NotificationEvent, to channel: NotificationChannel) async {
        let request: HTTPRequest
        do {
            request = try makeRequest(event, for: channel)
        } catch {
            report(event, channel, outcome: .failed, detail: "\(error)")
            return
        }
        do {
            let response = try await transport.send(request)
            if response.isSuccess {
                logger.debug("notification sent", metadata: ["notify.channel": "\(channel.label)", "notify.event": "\(event.kind.rawValue)"])
                return
            }
            report(event, channel, outcome: .failed, detail: "answered HTTP \(response.status): \(response.bodySnippet)")
        } catch {
            report(event, channel, outcome: .failed, detail: "\(error)")
        }
    }

    private func report(_ event: NotificationEvent, _ channel: NotificationChannel, outcome: StepOutcome, detail: String) {
        let message = "notification to \(channel.label) not delivered: \(detail); the run's result is unchanged"
        logger.warning("\(message)", metadata: [
            "notify.channel": "\(channel.label)", "notify.event": "\(event.kind.rawValue)", LogKeys.outcome: "\(outcome.rawValue)",
        ])
        audit?.append("notification", [
            "run_id": event.runID, "rotation": event.rotationID, "channel": channel.label, "notification": event.kind.rawValue,
            "outcome": outcome.rawValue, "detail": detail,
        ])
    }

    func makeRequest(_ event: NotificationEvent, for channel: NotificationChannel) throws(NotifyError) -> HTTPRequest {
        switch channel.kind {
        case .slack(let reference):
            let webhook = try resolve(reference, channel: channel, key: "webhook")
            guard let url = webhook.withRevealed({ URL(string: $0.trimmingCharacters(in: .whitespaces)) }), Self.isAllowed(url) else {
                throw NotifyError(channel: channel.label, message: "\(reference) does not hold an https URL (http only for loopback)")
            }
            var request = try post(url, NotificationPayload.slack(event, org: org), channel: channel)
            request.displayName = "POST Slack webhook of \(channel.name)"
            return request
        case .webhook(let url, let reference):
            let secret = try resolve(reference, channel: channel, key: "secret")
            var request = try post(url, NotificationPayload.webhook(event, org: org, host: host, at: now()), channel: channel)
            request.headers[WebhookSignature.header] = WebhookSignature.value(body: request.body ?? Data(), secret: secret)
            request.headers["X-Envshed-Rotator-Event"] = event.kind.rawValue
            return request
        case .pagerDuty(let reference, let severity, let apiURL):
            let routingKey = try resolve(reference, channel: channel, key: "routing_key")
            let body = NotificationPayload.pagerDuty(event, org: org, host: host, routingKey: routingKey, severity: severity)
            return try post(apiURL, body, channel: channel)
        }
    }

    private func post(_ url: URL, _ object: [String: Any], channel: NotificationChannel) throws(NotifyError) -> HTTPRequest {
        guard let body = NotificationPayload.encode(object) else {
            throw NotifyError(channel: channel.label, message: "the message could not be encoded")
        }
        return HTTPRequest(
            method: "POST", url: url,
            headers: ["Content-Type": "application/json", "Accept": "application/json", "User-Agent": UserAgent.value],
            body: body, timeout: timeout, isIdempotent: true
        )
    }

    private func resolve(_ reference: CredentialReference, channel: NotificationChannel, key: String) throws(NotifyError) -> Secret {
        do {
            return try reference.resolve(environment: variables)
        } catch {
            throw NotifyError(channel: channel.label, message: "\(channel.name).\(key): \(error)")
        }
    }

    /// Resolves every channel's credential (and checks a Slack webhook is a usable URL) without
    /// sending anything: `run` and `rotate` call it before any change, so that a missing PagerDuty
    /// key stops them at the start (64) rather than when a page is needed.
    /// - Throws: `NotifyError` naming the channel and the credential.
    static func checkCredentials(_ channels: [NotificationChannel], variables: [String: String]) throws(NotifyError) {
        for channel in channels {
            let reference: CredentialReference
            let key: String
            switch channel.kind {
            case .slack(let webhook): (reference, key) = (webhook, "webhook")
            case .webhook(_, let secret): (reference, key) = (secret, "secret")
            case .pagerDuty(let routingKey, _, _): (reference, key) = (routingKey, "routing_key")
            }
            let value: Secret
            do {
                value = try reference.resolve(environment: variables)
            } catch {
                throw NotifyError(channel: channel.label, message: "notify \(channel.label): \(channel.name).\(key): \(error)")
            }
            if case .slack = channel.kind, value.withRevealed({ URL(string: $0.trimmingCharacters(in: .whitespaces)).map(isAllowed) }) != true {
                throw NotifyError(channel: channel.label, message: "notify \(channel.label): \(reference) does not hold an https URL (http only for loopback)")
            }
        }
    }

    static func isAllowed(_ url: URL) -> Bool {
        guard url.host != nil else { return false }
        return url.scheme == "https" || (url.scheme == "http" && LoopbackHost.contains(url))
    }
}

/// A notification could not even be prepared (credential missing, bad webhook URL).
struct NotifyError: Error, CustomStringConvertible {
    var channel: String
    var message: String
    var description: String { message }
}
