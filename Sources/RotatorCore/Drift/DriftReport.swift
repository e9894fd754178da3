import Foundation

/// `status --drift`: targets changed behind the bot's back, Envshed tokens no rotation manages
/// that expire within the warning window, and tokens the bot created that are live but not
/// current. A report only: it never writes, deletes or revokes anything.
struct DriftReport {
    /// A token the bot created (or adopted) that Envshed still lists, other than a current one.
    struct Leftover {
        var rotation: String
        var token: ServiceToken
        var status: String
        var advice: String
    }

    var targets: [TargetDrift]
    var unmanaged: [ServiceToken]
    var leftovers: [Leftover]
    var windowDays: Int
    var now: Date

    static func build(
        plan: Plan, tokens: [ServiceToken], store: SQLiteStateStore?, inspector: DriftInspector, now: Date
    ) async throws(StateError) -> DriftReport {
        var targets: [TargetDrift] = []
        var managedIDs = Set(plan.rotations.compactMap { $0.adopt?.tokenID })
        var managedStatus: [String: (rotation: String, status: ManagedToken.Status)] = [:]
        var currentIDs: Set<String> = []
        for rotation in plan.rotations {
            let record = try store?.rotation(rotation.id)
            let managed = try store?.managedTokens(rotation: rotation.id) ?? []
            let records = try store?.targets(rotation: rotation.id) ?? []
            if let id = record?.tokenID { currentIDs.insert(id) }
            for token in managed {
                managedIDs.insert(token.tokenID)
                managedStatus[token.tokenID] = (rotation.id, token.status)
            }
            let known = DriftInspector.Known(
                record: record, targets: Dictionary(records.map { ($0.identity, $0) }, uniquingKeysWith: { first, _ in first }),
                fingerprints: Dictionary(managed.compactMap { token in token.fingerprint.map { ($0, token) } }, uniquingKeysWith: { first, _ in first })
            )
            for target in rotation.targets {
                targets.append(await inspector.inspect(target, rotation: rotation, known: known))
            }
        }
        if let store {
            // Rotations removed from the plan still own their tokens in the state.
            for record in try store.rotations() where plan.rotation(id: record.rotationID) == nil {
                if let id = record.tokenID { managedIDs.insert(id) }
                for token in try store.managedTokens(rotation: record.rotationID) {
                    managedIDs.insert(token.tokenID)
                    managedStatus[token.tokenID] = (record.rotationID, token.status)
                }
            }
        }
        let window = Double(plan.defaultWarnBeforeDays) * 86_400
        let unmanaged = tokens.filter { token in
            !managedIDs.contains(token.id) && ManagedMarker.parse(token.description) == nil
                && token.expiresAt.map { $0.timeIntervalSince(now) <= window } == true
        }.sorted { ($0.expiresAt ?? now) < ($1.expiresAt ?? now) }

        var leftovers: [Leftover] = []
        for token in tokens where !currentIDs.contains(token.id) {
            let marker = ManagedMarker.parse(token.description)
            guard let owner = managedStatus[token.id]?.rotation ?? marker?.rotationID else { continue }
            let inPlan = plan.rotation(id: owner) != nil
            let status = managedStatus[token.id]?.status
            let advice: String = switch status {
            case .pending?, .superseded?:
                inPlan ? "the next run revokes it once no target may hold it" : "its rotation is no longer in the plan: revoke it by hand once nothing uses it"
            case .revoked?:
                "the state records it as revoked, yet Envshed lists it live: revoke it by hand"
            case .current?:
                "marked current in the journal but not the rotation's token: run `run` to settle it"
            case nil:
                inPlan ? "created by a run that died before journaling it; the next run revokes it once no target may hold it" : "its rotation is not in the plan: revoke it by hand once nothing uses it"
            }
            leftovers.append(Leftover(rotation: owner, token: token, status: status?.rawValue ?? "unjournaled", advice: advice))
        }
        return DriftReport(targets: targets, unmanaged: unmanaged, leftovers: leftovers, windowDays: plan.defaultWarnBeforeDays, now: now)
    }

    var text: String {
        var lines: [String] = []
        let drifted = targets.filter { $0.state != .unchanged }
        lines.append("Drift: \(targets.count) target(s) read back, \(targets.filter { $0.state == .changed }.count) changed by someone else, \(targets.filter { $0.state == .missing }.count) missing, \(targets.filter { $0.state == .stale }.count) stale, \(targets.filter { $0.state == .unknown }.count) unknown")
        for finding in drifted {
            lines.append("  \(finding.rotation)  \(finding.target)  \(finding.state.rawValue.uppercased()) — \(finding.detail)")
        }
        lines.append("")
        lines.append("Envshed tokens no rotation manages, expiring within \(windowDays) day(s): \(unmanaged.count)")
        for token in unmanaged {
            lines.append("  \"\(token.name)\" (\(token.id)), \(TimeLeft.describe(until: token.expiresAt, from: now))")
        }
        lines.append("")
        lines.append("Tokens the bot created that are live but not current: \(leftovers.count)")
        for leftover in leftovers {
            lines.append("  \(leftover.rotation)  \"\(leftover.token.name)\" (\(leftover.token.id)), \(leftover.status) — \(leftover.advice)")
        }
        lines.append("")
        lines.append("A report only: nothing was changed.")
        return Redactor.scrub(lines.joined(separator: "\n"))
    }

    var json: [String: Any] {
        [
            "targets": targets.map(\.json),
            "changed": targets.filter { $0.state == .changed }.count,
            "unmanaged_expiring": unmanaged.map { token -> [String: Any] in
                ["id": token.id, "name": token.name, "expires_at": JSONOutput.date(token.expiresAt)]
            },
            "window_days": windowDays,
            "live_not_current": leftovers.map { leftover -> [String: Any] in
                [
                    "rotation": leftover.rotation, "id": leftover.token.id, "name": leftover.token.name, "status": leftover.status,
                    "expires_at": JSONOutput.date(leftover.token.expiresAt), "advice": leftover.advice,
                ]
            },
        ]
    }
}
