import Foundation

extension Rotator {
    /// `history [ID] [--json] [--limit N]`: the audit trail, newest first.
    public func history(rotationID: String?, json: Bool, limit: Int?) -> OperationResult {
        let directory: String
        switch auditDirectory() {
        case .found(let found): directory = found
        case .failed(let failure): return failure
        }
        let path = directory + "/" + AuditTrail.fileName
        let read: (entries: [AuditHistory.Entry], unreadable: Int)
        do {
            read = try AuditHistory.read(path: path, rotation: rotationID, limit: limit)
        } catch {
            return OperationResult(exit: .failure, messages: ["history: \(error)"])
        }
        let warnings = read.unreadable == 0 ? [] : ["history: \(read.unreadable) line(s) of \(path) are not records; run `envshed-rotator audit verify`"]
        if json {
            let records: [[String: Any]] = read.entries.map { entry in
                var record = entry.record
                record["line"] = entry.line
                return record
            }
            return OperationResult(exit: .success, output: JSONOutput.render(["path": path, "records": records]), messages: warnings)
        }
        if read.entries.isEmpty {
            let scope = rotationID.map { " for \($0)" } ?? ""
            return OperationResult(exit: .success, output: "no audit records\(scope) in \(path)", messages: warnings)
        }
        return OperationResult(exit: .success, output: read.entries.map(AuditHistory.text).joined(separator: "\n"), messages: warnings)
    }

    /// `audit verify`: 0 when the hash chain is intact, 1 naming the first bad record.
    public func verifyAudit() -> OperationResult {
        let directory: String
        switch auditDirectory() {
        case .found(let found): directory = found
        case .failed(let failure): return failure
        }
        let path = directory + "/" + AuditTrail.fileName
        let report: AuditVerifier.Report?
        do {
            report = try AuditVerifier.verify(path: path)
        } catch {
            return OperationResult(exit: .failure, messages: ["audit verify: \(error)"])
        }
        guard let report else {
            return OperationResult(exit: .success, output: "\(path): no audit records yet")
        }
        if let problem = report.problem {
            return OperationResult(exit: .failure, messages: ["audit verify: \(path) \(problem)"])
        }
        let last = report.lastHash.map { "; last record's SHA-256 \($0)" } ?? ""
        return OperationResult(exit: .success, output: "\(path): \(report.records) record(s), hash chain intact\(last)")
    }

    /// The state directory whose audit trail to read. The plan names it, but the trail must stay
    /// readable when the plan is broken: `--state-dir` or `$STATE_DIRECTORY` then suffice.
    private func auditDirectory() -> AuditDirectory {
        switch loadPlan() {
        case .success(let plan):
            return .found(environment.stateDirectory(for: plan))
        case .failure(let failure):
            let systemd = environment.variables["STATE_DIRECTORY"].map { !$0.isEmpty } ?? false
            if environment.stateDirectory != nil || systemd {
                return .found(environment.stateDirectory(for: nil))
            }
            return .failed(failure.result)
        }
    }
}

private enum AuditDirectory {
    case found(String)
    case failed(OperationResult)
}
