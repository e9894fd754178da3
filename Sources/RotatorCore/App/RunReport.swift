import Foundation

/// What `run` prints on stdout when it ends: a line per rotation, or one JSON document.
struct RunReport {
    let runID: String
    let outcomes: [RotationOutcome]
    let exit: ExitStatus
    let now: Date

    var failureLines: [String] {
        outcomes.compactMap { $0.failure?.line(now: now) }
            + outcomes.flatMap { outcome in
                outcome.revocationErrors.map { "rotation \(outcome.rotationID): revocation failed: \($0); the old token stays valid until the next run revokes it" }
            }
    }

    var text: String {
        let rotated = outcomes.filter { if case .rotated = $0.result { true } else { false } }.count
        let failed = outcomes.filter { $0.failure != nil }.count
        var lines = ["run \(runID): \(outcomes.count) rotation\(outcomes.count == 1 ? "" : "s"), \(rotated) rotated, \(outcomes.count - rotated - failed) not due, \(failed) failed"]
        let width = outcomes.map(\.rotationID.count).max() ?? 0
        for outcome in outcomes {
            let id = outcome.rotationID.padding(toLength: width, withPad: " ", startingAt: 0)
            switch outcome.result {
            case .rotated(let token, let fingerprint):
                let revoked = outcome.revokedTokenIDs.isEmpty ? "" : "; revoked \(outcome.revokedTokenIDs.joined(separator: ", "))"
                lines.append("  \(id)  rotated   \"\(token.name)\" (\(token.id), fingerprint \(fingerprint)), \(TimeLeft.describe(until: token.expiresAt, from: now))\(revoked)")
            case .notDue:
                let revoked = outcome.revokedTokenIDs.isEmpty ? "" : "; revoked leftover \(outcome.revokedTokenIDs.joined(separator: ", "))"
                lines.append("  \(id)  not due\(revoked)")
            case .failed(let failure):
                lines.append("  \(id)  FAILED    at \(failure.step.rawValue)\(failure.target.map { " of \($0)" } ?? "")")
            }
        }
        return Redactor.scrub(lines.joined(separator: "\n"))
    }

    var json: String {
        let entries: [[String: Any]] = outcomes.map { outcome in
            var entry: [String: Any] = ["id": outcome.rotationID, "revoked": outcome.revokedTokenIDs, "revocation_errors": outcome.revocationErrors]
            switch outcome.result {
            case .rotated(let token, let fingerprint):
                entry["result"] = "rotated"
                entry["token"] = ["id": token.id, "name": token.name, "fingerprint": fingerprint, "expires_at": JSONOutput.date(token.expiresAt)] as [String: Any]
            case .notDue:
                entry["result"] = "not_due"
            case .failed(let failure):
                entry["result"] = "failed"
                entry["error"] = [
                    "step": failure.step.rawValue, "target": JSONOutput.optional(failure.target), "reason": failure.reason,
                    "old_token_id": JSONOutput.optional(failure.oldTokenID), "old_token_expires_at": JSONOutput.date(failure.oldTokenExpiresAt),
                    "targets_holding_new_token": failure.targetsHoldingNewToken, "message": failure.line(now: now),
                ] as [String: Any]
            }
            return entry
        }
        return JSONOutput.render(["run_id": runID, "exit_code": Int(exit.rawValue), "rotations": entries])
    }
}
