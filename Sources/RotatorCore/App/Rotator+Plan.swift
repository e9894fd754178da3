import Foundation

extension Rotator {
    /// `plan`: what `run` would do now — reads the state (if any) and Envshed's token list, and
    /// writes nothing anywhere: no state file, no lock, no request other than GET.
    /// - Parameter runAs: the user that will run the plan (`--run-as`), for the host checks; nil:
    ///   the user running `plan`.
    public func plan(only: [String], json: Bool, runAs: String? = nil) async -> OperationResult {
        let plan: Plan
        let rotations: [Rotation]
        switch loadPlan().flatMap({ plan in select(plan, only: only).map { (plan, $0) } }) {
        case .failure(let failure): return failure.result
        case .success(let loaded): (plan, rotations) = loaded
        }
        let access: WriteAccess
        if let runAs {
            guard let user = WriteAccess.user(runAs) else {
                return OperationResult(exit: .usage, messages: ["plan: --run-as \(runAs): no such user on this machine"])
            }
            access = user
        } else {
            access = WriteAccess.current()
        }
        let checks = hostChecks(plan, as: access)
        let envshed: EnvshedClient
        do {
            envshed = try envshedClient(plan, transport: transport(for: plan))
        } catch {
            return OperationResult(exit: .usage, messages: ["\(error)"])
        }
        let store: SQLiteStateStore?
        let tokens: [ServiceToken]
        do {
            store = try SQLiteStateStore.openIfExists(directory: environment.stateDirectory(for: plan))
            tokens = try await envshed.listTokens(logger: logger)
        } catch {
            return OperationResult(exit: .failure, messages: ["plan: \(error)"])
        }
        let planner = RotationPlanner(now: environment.now())
        let indexed = LiveTokens(tokens)
        var decisions: [RotationDecision] = []
        for rotation in rotations {
            let record = try? store?.rotation(rotation.id)
            decisions.append(planner.decide(rotation, record: record, liveTokens: indexed))
        }
        let now = environment.now()
        var output = json ? planJSON(plan, decisions, now: now, checks: checks) : planText(plan, decisions, now: now)
        let problems = checks.compactMap { check in check.problem.map { "plan: \(check.purpose) \(check.path): \($0); run as \(access.name) would fail there" } }
        if !json {
            output += "\n\nHost checks (as \(access.name), uid \(access.uid)):\n" + checks.map { check in
                "  \(check.problem == nil ? "ok     " : "CANNOT ") \(check.purpose): \(check.path)\(check.problem.map { " — \($0)" } ?? "")"
            }.joined(separator: "\n")
        }
        return OperationResult(exit: problems.isEmpty ? .success : .usage, output: output, messages: plan.warnings.map(\.description) + problems)
    }

    private func planText(_ plan: Plan, _ decisions: [RotationDecision], now: Date) -> String {
        let due = decisions.filter(\.verdict.isDue).count
        var lines = ["Plan for org \(plan.envshed.org): \(decisions.count) rotation\(decisions.count == 1 ? "" : "s"), \(due) due now. Nothing was changed.", ""]
        for decision in decisions {
            let rotation = decision.rotation
            lines.append("\(rotation.id): \(decision.verdict.isDue ? "DUE" : "not due") — \(decision.verdict.reason)")
            if let current = decision.current {
                let name = current.name.map { "\"\($0)\" " } ?? ""
                lines.append("  current token: \(name)(\(current.id)\(current.adopted ? ", adopted" : "")), \(TimeLeft.describe(until: current.expiresAt, from: now))")
            } else {
                lines.append("  current token: none")
            }
            if decision.verdict.isDue {
                let request = decision.request
                lines.append("  would create: \"\(request.name)\" — \(request.scope.rawValue) scope, \(request.permission.rawValue), expires in \(request.expiresInDays) days")
                for target in rotation.targets {
                    lines.append("  would write:  \(target.label)")
                }
                lines.append("  would verify: test pull of \(rotation.verify.project)/\(rotation.verify.environment)\(rotation.verify.expectKeys.isEmpty ? "" : " expecting \(rotation.verify.expectKeys.joined(separator: ", "))"), then read back every target")
                if let current = decision.current {
                    let grace = rotation.graceMinutes > 0 ? " after \(rotation.graceMinutes) min of grace" : ""
                    lines.append("  would revoke: \(current.id)\(current.adopted ? " (adopted)" : "") once all of that held\(grace)")
                }
            } else if let nextDue = decision.nextDue {
                lines.append("  next due:     \(Timestamp.format(nextDue))")
            }
            lines.append("")
        }
        for warning in plan.warnings {
            lines.append("warning: \(warning.location): \(warning.message)")
        }
        return lines.joined(separator: "\n").trimmingCharacters(in: .newlines)
    }

    private func planJSON(_ plan: Plan, _ decisions: [RotationDecision], now: Date, checks: [HostCheck]) -> String {
        let rotations: [[String: Any]] = decisions.map { decision in
            let rotation = decision.rotation
            var entry: [String: Any] = [
                "id": rotation.id,
                "due": decision.verdict.isDue,
                "reason": decision.verdict.reason,
                "next_due": JSONOutput.date(decision.nextDue),
                "targets": rotation.targets.map(\.label),
                "verify": ["project": rotation.verify.project, "environment": rotation.verify.environment, "expect_keys": rotation.verify.expectKeys],
            ]
            if let current = decision.current {
                entry["current_token"] = [
                    "id": current.id, "name": JSONOutput.optional(current.name), "adopted": current.adopted,
                    "live": current.live, "expires_at": JSONOutput.date(current.expiresAt),
                ] as [String: Any]
            } else {
                entry["current_token"] = NSNull()
            }
            if decision.verdict.isDue {
                let request = decision.request
                entry["new_token"] = [
                    "name": request.name, "scope": request.scope.rawValue, "permission": request.permission.rawValue,
                    "expires_in_days": request.expiresInDays,
                ] as [String: Any]
            }
            return entry
        }
        return JSONOutput.render([
            "org": plan.envshed.org,
            "generated_at": Timestamp.format(now),
            "rotations": rotations,
            "warnings": plan.warnings.map(\.description),
            "host_checks": checks.map(\.json),
        ])
    }
}
