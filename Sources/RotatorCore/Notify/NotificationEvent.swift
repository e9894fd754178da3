import Foundation

/// Something worth telling people about, built from a run's outcomes. Holds ids, names, failure
/// lines and times — never a token value (everything is scrubbed again before it is sent).
public struct NotificationEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// A rotation failed; no target holds the new token. The old token stays valid.
        case failure
        /// A rotation failed after some targets received the new token (`needs_attention`).
        case needsAttention = "needs_attention"
        /// A rotation failed and its token expires within `warn_before_days`: page someone.
        case expiringSoon = "expiring_soon"
        /// `rotate --emergency`: when it starts and how it ended.
        case emergency
        /// The summary of a run that ended well (channels with `on_success: true`).
        case success
        /// `notify test`: every channel, PagerDuty included (its incident is resolved at once).
        case test
    }

    public var kind: Kind
    public var runID: String
    /// nil for a run-level event (summary, a run that could not start).
    public var rotationID: String?
    /// One line for people.
    public var summary: String
    /// Facts for machines (webhook `details`, PagerDuty `custom_details`).
    public var details: [String: String]

    /// Failures page (PagerDuty); the rest only inform.
    public var isFailure: Bool {
        kind == .failure || kind == .needsAttention || kind == .expiringSoon
    }

    /// `FAILED`, `NEEDS ATTENTION`…: the word that starts a chat message.
    var headline: String {
        switch kind {
        case .failure: "FAILED"
        case .needsAttention: "NEEDS ATTENTION"
        case .expiringSoon: "EXPIRING — rotation failed inside the warning window"
        case .emergency: "EMERGENCY ROTATION"
        case .success: "OK"
        case .test: "TEST"
        }
    }
}

/// Who asked for a `rotate`, and why: recorded in the audit trail and in notifications.
public struct RotateContext: Sendable, Hashable {
    public var rotationID: String
    public var reason: String
    public var user: String
    public var emergency: Bool
    public var revokeOld: RevokeOldMode

    public init(rotationID: String, reason: String, user: String, emergency: Bool, revokeOld: RevokeOldMode) {
        self.rotationID = rotationID
        self.reason = reason
        self.user = user
        self.emergency = emergency
        self.revokeOld = revokeOld
    }

    var auditFields: [String: (any Sendable)?] {
        ["rotation": rotationID, "reason": reason, "user": user, "emergency": emergency, "revoke_old": revokeOld.rawValue]
    }
}

extension NotificationEvent {
    /// The events of a finished `run` or `rotate`: one per failed rotation (kind by what the
    /// failure left behind and how close the old token is to expiring), one per failed
    /// revocation, an emergency's result, and a summary when everything went well.
    static func events(
        runID: String, command: String, outcomes: [RotationOutcome], plan: Plan, exit: ExitStatus, now: Date, rotate: RotateContext?
    ) -> [NotificationEvent] {
        var events: [NotificationEvent] = []
        var context: [String: String] = ["command": command, "org": plan.envshed.org]
        if let rotate {
            context["reason"] = rotate.reason
            context["user"] = rotate.user
            context["emergency"] = String(rotate.emergency)
            context["revoke_old"] = rotate.revokeOld.rawValue
        }
        for outcome in outcomes {
            var details = context
            details["rotation"] = outcome.rotationID
            if let failure = outcome.failure {
                let warnDays = plan.rotation(id: outcome.rotationID)?.warnBeforeDays ?? 0
                let earlyRevoked = failure.oldTokenID.map { outcome.revokedTokenIDs.contains($0) } ?? false
                var kind: Kind = failure.targetsHoldingNewToken.isEmpty ? .failure : .needsAttention
                var summary = earlyRevoked ? Self.revokedLine(failure, now: now) : failure.line(now: now)
                details["step"] = failure.step.rawValue
                details["target"] = failure.target
                details["old_token_id"] = failure.oldTokenID
                if let expiry = failure.oldTokenExpiresAt, !earlyRevoked {
                    details["old_token_expires_at"] = Timestamp.format(expiry)
                    details["old_token_expires_in"] = TimeLeft.span(max(0, Int(expiry.timeIntervalSince(now))))
                    if expiry.timeIntervalSince(now) <= Double(warnDays) * 86_400 {
                        kind = .expiringSoon
                        summary += " — inside its \(warnDays)-day warning window: \(TimeLeft.describe(until: expiry, from: now)), rotate it by hand now"
                    }
                }
                if let rotate, rotate.rotationID == outcome.rotationID {
                    summary += " (\(rotate.emergency ? "emergency " : "")rotate by \(rotate.user): \"\(rotate.reason)\")"
                }
                events.append(NotificationEvent(kind: kind, runID: runID, rotationID: outcome.rotationID, summary: summary, details: details))
            } else if !outcome.revocationErrors.isEmpty {
                details["errors"] = outcome.revocationErrors.joined(separator: "; ")
                events.append(NotificationEvent(
                    kind: .failure, runID: runID, rotationID: outcome.rotationID,
                    summary: "rotation \(outcome.rotationID) rotated, but revoking the old token failed: \(outcome.revocationErrors.joined(separator: "; ")); the next run retries",
                    details: details
                ))
            }
            if let rotate, rotate.emergency, rotate.rotationID == outcome.rotationID, case .rotated(let token, let fingerprint) = outcome.result {
                details["new_token_id"] = token.id
                details["new_token_fingerprint"] = fingerprint
                details["revoked"] = outcome.revokedTokenIDs.joined(separator: ",")
                let revoked = outcome.revokedTokenIDs.isEmpty ? "nothing revoked" : "revoked \(outcome.revokedTokenIDs.joined(separator: ", "))"
                events.append(NotificationEvent(
                    kind: .emergency, runID: runID, rotationID: outcome.rotationID,
                    summary: "emergency rotation of \(outcome.rotationID) by \(rotate.user) done: every target holds \"\(token.name)\" (\(token.id), fingerprint \(fingerprint)); \(revoked). Reason: \"\(rotate.reason)\"",
                    details: details
                ))
            }
        }
        if exit == .success {
            let rotated = outcomes.filter { if case .rotated = $0.result { true } else { false } }.map(\.rotationID)
            let notDue = outcomes.filter { if case .notDue = $0.result { true } else { false } }.count
            var details = context
            details["rotated"] = rotated.joined(separator: ",")
            events.append(NotificationEvent(
                kind: .success, runID: runID, rotationID: nil,
                summary: "\(command) \(runID) ok: \(rotated.count) rotated\(rotated.isEmpty ? "" : " (\(rotated.joined(separator: ", ")))"), \(notDue) not due",
                details: details
            ))
        }
        return events
    }

    /// The emergency's first notification, sent once confirmed and before anything is changed.
    static func emergencyStarted(runID: String, rotate: RotateContext, plan: Plan, currentTokenID: String?, targets: [String]) -> NotificationEvent {
        let when = switch rotate.revokeOld {
        case .first: "revoking the old token \(currentTokenID ?? "(none)") FIRST: CI pipelines that use it fail until the push completes"
        case .immediately: "revoking the old token \(currentTokenID ?? "(none)") right after the pushes, before the read-backs"
        case .afterVerify: "revoking the old token \(currentTokenID ?? "(none)") once every target holds the verified new token, without grace"
        }
        return NotificationEvent(
            kind: .emergency, runID: runID, rotationID: rotate.rotationID,
            summary: "emergency rotation of \(rotate.rotationID) started by \(rotate.user): \"\(rotate.reason)\"; writing \(targets.count) target(s); \(when)",
            details: [
                "org": plan.envshed.org, "rotation": rotate.rotationID, "reason": rotate.reason, "user": rotate.user,
                "revoke_old": rotate.revokeOld.rawValue, "old_token_id": currentTokenID ?? "", "targets": targets.joined(separator: ","),
                "command": "rotate", "emergency": "true",
            ]
        )
    }

    /// A run that stopped before any rotation (Envshed's list unreadable, the state unusable).
    static func aborted(runID: String, command: String, message: String, plan: Plan) -> NotificationEvent {
        NotificationEvent(
            kind: .failure, runID: runID, rotationID: nil, summary: message,
            details: ["command": command, "org": plan.envshed.org]
        )
    }

    /// The failure line when the old token was revoked early on purpose.
    static func revokedLine(_ failure: RotationFailure, now: Date) -> String {
        var text = "rotation \(failure.rotationID) failed at \(failure.step.rawValue)"
        if let target = failure.target { text += " of \(target)" }
        text += ": \(failure.reason); the old token \(failure.oldTokenID ?? "") was already revoked (--revoke-old), so targets without the new token have no working token"
        if !failure.targetsHoldingNewToken.isEmpty {
            text += "; \(failure.targetsHoldingNewToken.count) target(s) hold the new token"
        }
        return Redactor.scrub(text)
    }
}
