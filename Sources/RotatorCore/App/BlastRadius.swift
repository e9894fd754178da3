import Foundation

/// What `rotate` is about to do, shown before it acts and included in its `--json` report: the
/// token and its scope, permission and expiry, every target that will be written, and what will be
/// revoked and when.
struct BlastRadius {
    let decision: RotationDecision
    let request: RotateRequest
    let user: String
    /// The current token as Envshed lists it (scope and permission as Envshed has them).
    let listed: ServiceToken?
    /// Tokens left by earlier attempts that no target holds: revoked first, as every run does.
    let leftovers: [String]
    let now: Date

    private var rotation: Rotation { decision.rotation }

    private var scopeText: String {
        let scope = listed?.scope ?? rotation.scope
        switch scope {
        case .org: return "org scope"
        case .project: return "project scope (\(rotation.project?.slug ?? "?"))"
        case .environment: return "environment scope (\(rotation.project?.slug ?? "?")/\(rotation.environment?.slug ?? "?"))"
        }
    }

    var revocationText: String {
        guard let current = decision.current else { return "nothing: the rotation has no token yet" }
        guard current.live else { return "nothing: the current token \(current.id) is no longer live in Envshed" }
        switch request.revokeOld {
        case .first:
            return "\(current.id) FIRST, before anything else: CI pipelines and pods that use it fail until the push to every target completes"
        case .immediately:
            return "\(current.id) right after the pushes (the new token has passed its test pull), before the read-backs: a target whose push fails is left without a working token"
        case .afterVerify:
            let grace = request.emergency || rotation.graceMinutes == 0 ? "" : ", after \(rotation.graceMinutes) min of grace"
            return "\(current.id) once every target holds the new token and it passed verification\(grace)"
        }
    }

    var lines: [String] {
        let mode = request.emergency ? "EMERGENCY rotation" : "Rotation"
        var lines = ["\(mode) of \(rotation.id) requested by \(user): \"\(request.reason)\""]
        if let current = decision.current {
            let name = current.name.map { "\"\($0)\" " } ?? ""
            let permission = (listed?.permission ?? rotation.permission).rawValue
            lines.append("  token:    \(name)(\(current.id)\(current.adopted ? ", adopted" : "")), \(scopeText), \(permission), \(TimeLeft.describe(until: current.expiresAt, from: now))")
        } else {
            lines.append("  token:    none yet (\(scopeText), \(rotation.permission.rawValue))")
        }
        let request = decision.request
        lines.append("  creates:  \"\(request.name)\", \(request.scope.rawValue) scope, \(request.permission.rawValue), expires in \(request.expiresInDays) days")
        for (index, target) in rotation.targets.enumerated() {
            lines.append("\(index == 0 ? "  writes:   " : "            ")\(target.label)")
        }
        lines.append("  verifies: test pull of \(rotation.verify.project)/\(rotation.verify.environment), then a read-back of every target")
        lines.append("  revokes:  \(revocationText)")
        if !leftovers.isEmpty {
            lines.append("            and leftovers of earlier attempts no target holds: \(leftovers.joined(separator: ", "))")
        }
        if self.request.emergency {
            lines.append("  emergency: no lead time, no grace period\(self.request.revokeOld == .first ? "; pipelines fail until the push completes" : "")")
        }
        return lines.map(Redactor.scrub)
    }

    var json: [String: Any] {
        let current = decision.current
        return [
            "rotation": rotation.id,
            "token": current.map { current -> Any in
                [
                    "id": current.id, "name": JSONOutput.optional(current.name), "adopted": current.adopted, "live": current.live,
                    "scope": (listed?.scope ?? rotation.scope).rawValue, "permission": (listed?.permission ?? rotation.permission).rawValue,
                    "expires_at": JSONOutput.date(current.expiresAt),
                ] as [String: Any]
            } ?? NSNull(),
            "creates": [
                "name": decision.request.name, "scope": decision.request.scope.rawValue, "permission": decision.request.permission.rawValue,
                "expires_in_days": decision.request.expiresInDays,
            ] as [String: Any],
            "targets": rotation.targets.map(\.label),
            "revoke_old": self.request.revokeOld.rawValue,
            "revokes": revocationText,
            "leftovers": leftovers,
        ]
    }
}
