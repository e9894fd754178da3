import Foundation

extension Rotator {
    /// `status`: one row per rotation from the state alone (no network): current token, expiry,
    /// last result, next due, and the superseded tokens still waiting for revocation (and when).
    public func status(json: Bool) -> OperationResult {
        let plan: Plan
        switch loadPlan() {
        case .failure(let failure): return failure.result
        case .success(let loaded): plan = loaded
        }
        let records: [String: RotationRecord]
        var awaiting: [String: [ManagedToken]] = [:]
        do {
            let store = try SQLiteStateStore.openIfExists(directory: environment.stateDirectory(for: plan))
            records = Dictionary(uniqueKeysWithValues: (try store?.rotations() ?? []).map { ($0.rotationID, $0) })
            if let store {
                for rotation in plan.rotations {
                    awaiting[rotation.id] = try store.managedTokens(rotation: rotation.id).filter { $0.status == .superseded }
                }
            }
        } catch {
            return OperationResult(exit: .failure, messages: ["status: \(error)"])
        }
        let now = environment.now()
        let rows = plan.rotations.map { StatusRow(rotation: $0, record: records[$0.id], awaitingRevocation: awaiting[$0.id] ?? [], now: now) }
        if json {
            return OperationResult(exit: .success, output: JSONOutput.render(["generated_at": Timestamp.format(now), "rotations": rows.map(\.json)]))
        }
        let header = ["ROTATION", "TOKEN", "ID", "FINGERPRINT", "EXPIRES", "LAST RESULT", "NEXT DUE", "OLD TOKEN REVOKED"]
        let table = [header] + rows.map(\.cells)
        let widths = header.indices.map { column in table.map { $0[column].count }.max() ?? 0 }
        let lines = table.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        return OperationResult(exit: .success, output: Redactor.scrub(lines.joined(separator: "\n")))
    }
}

/// One rotation as `status` shows it. Before its first run a rotation has no record; when the
/// plan adopts a token, that token is shown (its id, and its expiry when the plan gives one), so
/// an operator sees which token the first run will replace.
private struct StatusRow {
    let rotation: Rotation
    let record: RotationRecord?
    /// Superseded tokens not yet revoked: in their grace period, or their revocation failed.
    let awaitingRevocation: [ManagedToken]
    let now: Date

    /// The plan's adopted token, while no run has recorded anything.
    private var pendingAdoption: Adoption? { record == nil ? rotation.adopt : nil }

    private var tokenID: String? { record?.tokenID ?? pendingAdoption?.tokenID }
    private var expiresAt: Date? { record?.expiresAt ?? pendingAdoption?.expiresAt }

    var nextDue: Date? {
        expiresAt.map { $0.addingTimeInterval(-Double(rotation.rotateBeforeDays) * 86_400) }
    }

    var cells: [String] {
        let expires: String
        if tokenID == nil {
            expires = "-"
        } else if expiresAt == nil {
            expires = "unknown until the first run"
        } else {
            expires = TimeLeft.describe(until: expiresAt, from: now)
        }
        let due: String
        if let nextDue {
            due = nextDue <= now ? "now" : Timestamp.day(nextDue)
        } else if pendingAdoption != nil {
            due = "first run decides"
        } else {
            due = tokenID == nil ? "now (no token yet)" : "now"
        }
        var result = record?.lastResult?.rawValue ?? "never run"
        if record?.adopted == true || pendingAdoption != nil { result += " (adopted)" }
        return [rotation.id, record?.tokenName ?? "-", tokenID ?? "-", record?.fingerprint ?? "-", expires, result, due, revocations]
    }

    /// `tok_old after 2026-12-03T02:10:00Z` (grace period) or `tok_old next run` (grace over: the
    /// next run revokes it, or retries a failed revocation).
    private var revocations: String {
        guard !awaitingRevocation.isEmpty else { return "-" }
        return awaitingRevocation.map { token in
            if let after = token.revokeAfter, after > now { return "\(token.tokenID) after \(Timestamp.format(after))" }
            return "\(token.tokenID) next run"
        }.joined(separator: ", ")
    }

    var json: [String: Any] {
        [
            "id": rotation.id,
            "token": tokenID == nil ? NSNull() : [
                "id": JSONOutput.optional(tokenID), "name": JSONOutput.optional(record?.tokenName),
                "fingerprint": JSONOutput.optional(record?.fingerprint), "expires_at": JSONOutput.date(expiresAt),
                "adopted": record?.adopted ?? (pendingAdoption != nil),
            ] as [String: Any],
            "serial": record?.serial ?? 0,
            "last_result": JSONOutput.optional(record?.lastResult?.rawValue),
            "last_error": JSONOutput.optional(record?.lastError),
            "last_run_at": JSONOutput.date(record?.lastRunAt),
            "next_due": JSONOutput.date(nextDue),
            "awaiting_revocation": awaitingRevocation.map { ["id": $0.tokenID, "revoke_after": JSONOutput.date($0.revokeAfter)] as [String: Any] },
        ]
    }
}
