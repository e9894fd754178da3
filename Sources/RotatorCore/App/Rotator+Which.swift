import Foundation

extension Rotator {
    /// `which`: from a token value (stdin, never argv) to the rotation, the token's id, name and
    /// status, and every target that holds or may hold it, offline from the state. Matches the
    /// value's fingerprint (the first 8 hex characters of its SHA-256, as the state stores it).
    /// Exit 0 when known, 1 when no token of the state has that fingerprint, 64 on a plan error.
    public func which(_ value: Secret, json: Bool) -> OperationResult {
        guard !value.isEmpty else {
            return OperationResult(exit: .usage, messages: ["which: no token value on stdin (paste it, or pipe it: `pbpaste | envshed-rotator which`)"])
        }
        let plan: Plan
        switch loadPlan() {
        case .failure(let failure): return failure.result
        case .success(let loaded): plan = loaded
        }
        let fingerprint = value.fingerprint
        var sightings: [TokenSighting] = []
        do {
            if let store = try SQLiteStateStore.openIfExists(directory: environment.stateDirectory(for: plan)) {
                let records = try store.rotations()
                let ids = Set(records.map(\.rotationID)).union(plan.rotations.map(\.id)).sorted()
                for id in ids {
                    let record = records.first { $0.rotationID == id }
                    var tokens = try store.managedTokens(rotation: id).filter { $0.fingerprint == fingerprint }
                    // The current token of a state from before tokens carried a fingerprint.
                    if let record, record.fingerprint == fingerprint, let current = record.tokenID, !tokens.contains(where: { $0.tokenID == current }) {
                        tokens.append(ManagedToken(
                            tokenID: current, rotationID: id, origin: record.adopted ? .adopted : .created, name: record.tokenName, fingerprint: fingerprint,
                            expiresAt: record.expiresAt, serial: record.serial, runID: "", status: .current, createdAt: record.rotatedAt ?? Date(timeIntervalSince1970: 0)
                        ))
                    }
                    guard !tokens.isEmpty else { continue }
                    let targets = try store.targets(rotation: id)
                    for token in tokens {
                        sightings.append(TokenSighting(token: token, rotation: plan.rotation(id: id), record: record, targetRecords: targets))
                    }
                }
            }
        } catch {
            return OperationResult(exit: .failure, messages: ["which: \(error)"])
        }
        let exit: ExitStatus = sightings.isEmpty ? .failure : .success
        if json {
            return OperationResult(exit: exit, output: JSONOutput.render([
                "fingerprint": fingerprint, "known": !sightings.isEmpty, "tokens": sightings.map(\.json),
            ]))
        }
        guard !sightings.isEmpty else {
            return OperationResult(exit: exit, messages: [
                "which: no token in the state has fingerprint \(fingerprint): not a token this bot created. An adopted token is known by id only (its value never passed through the bot); look it up by name in Envshed.",
            ])
        }
        let lines = ["fingerprint \(fingerprint): \(sightings.count) token(s) of the state"] + sightings.flatMap(\.lines)
        return OperationResult(exit: exit, output: lines.joined(separator: "\n"))
    }
}
