import Foundation

extension Rotator {
    /// `status`: one row per rotation from the state alone (no network): current token, expiry,
    /// last result, next due.
    public func status(json: Bool) -> OperationResult {
        let plan: Plan
        switch loadPlan() {
        case .failure(let failure): return failure.result
        case .success(let loaded): plan = loaded
        }
        let records: [String: RotationRecord]
        do {
            let store = try SQLiteStateStore.openIfExists(directory: environment.stateDirectory(for: plan))
            records = Dictionary(uniqueKeysWithValues: (try store?.rotations() ?? []).map { ($0.rotationID, $0) })
        } catch {
            return OperationResult(exit: .failure, messages: ["status: \(error)"])
        }
        let now = environment.now()
        let rows = plan.rotations.map { StatusRow(rotation: $0, record: records[$0.id], now: now) }
        if json {
            return OperationResult(exit: .success, output: JSONOutput.render(["generated_at": Timestamp.format(now), "rotations": rows.map(\.json)]))
        }
        let header = ["ROTATION", "TOKEN", "ID", "FINGERPRINT", "EXPIRES", "LAST RESULT", "NEXT DUE"]
        let table = [header] + rows.map(\.cells)
        let widths = header.indices.map { column in table.map { $0[column].count }.max() ?? 0 }
        let lines = table.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        return OperationResult(exit: .success, output: Redactor.scrub(lines.joined(separator: "\n")))
    }
}

/// One rotation as `status` shows it.
private struct StatusRow {
    let rotation: Rotation
    let record: RotationRecord?
    let now: Date

    var nextDue: Date? {
        record?.expiresAt.map { $0.addingTimeInterval(-Double(rotation.rotateBeforeDays) * 86_400) }
    }

    var cells: [String] {
        let expires = record?.tokenID == nil ? "-" : TimeLeft.describe(until: record?.expiresAt, from: now)
        let due: String
        if let nextDue {
            due = nextDue <= now ? "now" : Timestamp.day(nextDue)
        } else {
            due = record?.tokenID == nil ? "now (no token yet)" : "now"
        }
        var result = record?.lastResult?.rawValue ?? "never run"
        if record?.adopted == true { result += " (adopted)" }
        return [
            rotation.id, record?.tokenName ?? "-", record?.tokenID ?? "-", record?.fingerprint ?? "-", expires, result, due,
        ]
    }

    var json: [String: Any] {
        [
            "id": rotation.id,
            "token": record?.tokenID == nil ? NSNull() : [
                "id": JSONOutput.optional(record?.tokenID), "name": JSONOutput.optional(record?.tokenName),
                "fingerprint": JSONOutput.optional(record?.fingerprint), "expires_at": JSONOutput.date(record?.expiresAt),
                "adopted": record?.adopted ?? false,
            ] as [String: Any],
            "serial": record?.serial ?? 0,
            "last_result": JSONOutput.optional(record?.lastResult?.rawValue),
            "last_error": JSONOutput.optional(record?.lastError),
            "last_run_at": JSONOutput.date(record?.lastRunAt),
            "next_due": JSONOutput.date(nextDue),
        ]
    }
}
