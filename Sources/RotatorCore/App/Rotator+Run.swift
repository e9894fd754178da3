import Foundation

extension Rotator {
    /// `run`: rotate every rotation that is due (or only those named by `--only`), under the lock.
    /// - Parameters:
    ///   - only: rotation ids to limit the run to; empty for all.
    ///   - waitForLock: how long to wait for another run to finish before exiting 75.
    public func run(only: [String], json: Bool, waitForLock: Duration = .zero) async -> OperationResult {
        let plan: Plan
        let rotations: [Rotation]
        switch loadPlan().flatMap({ plan in select(plan, only: only).map { (plan, $0) } }) {
        case .failure(let failure): return failure.result
        case .success(let loaded): (plan, rotations) = loaded
        }
        let envshed: EnvshedClient
        let targets: TargetFactory
        do {
            envshed = try envshedClient(plan)
            targets = try targetFactory(plan, rotations: rotations)
        } catch {
            return OperationResult(exit: .usage, messages: ["\(error); nothing was changed"])
        }

        let directory = environment.stateDirectory(for: plan)
        let lock: RunLock
        do {
            lock = try await RunLock.acquire(directory: directory, command: "run", wait: waitForLock)
        } catch {
            if case .held = error { return OperationResult(exit: .locked, messages: ["\(error)"]) }
            return OperationResult(exit: .failure, messages: ["\(error)"])
        }
        defer { withExtendedLifetime(lock) {} }

        let runID = Self.newRunID()
        do {
            let store = try SQLiteStateStore(directory: directory)
            try store.begin(RunRecord(runID: runID, command: "run", startedAt: environment.now(), finishedAt: nil, exitCode: nil, pid: Int(getpid())))
            let journal = RunJournal(runID: runID, store: store, logger: logger)
            let outcomes = try await rotate(rotations, plan: plan, envshed: envshed, targets: targets, store: store, journal: journal)
            let exit = outcomes.map { exitStatus(for: $0, plan: plan) }.max() ?? .success
            try store.finish(runID: runID, exitCode: Int(exit.rawValue), at: environment.now())
            let report = RunReport(runID: runID, outcomes: outcomes, exit: exit, now: environment.now())
            return OperationResult(exit: exit, output: json ? report.json : report.text, messages: report.failureLines)
        } catch let failure as RunAbort {
            return OperationResult(exit: .failure, messages: ["run \(runID): \(failure.message)"])
        } catch {
            return OperationResult(exit: .failure, messages: ["run \(runID): \(error); rotations already completed are recorded, the rest left as they were"])
        }
    }

    private func rotate(
        _ rotations: [Rotation], plan: Plan, envshed: EnvshedClient, targets: TargetFactory, store: SQLiteStateStore, journal: RunJournal
    ) async throws -> [RotationOutcome] {
        let tokens: [ServiceToken]
        do {
            tokens = try await envshed.listTokens(logger: logger)
        } catch {
            throw RunAbort(message: "\(error); nothing was changed")
        }
        let executor = RotationExecutor(
            envshed: envshed, targets: targets, store: store, journal: journal, now: environment.now, sleep: environment.sleep
        )
        let planner = RotationPlanner(now: environment.now())
        var outcomes: [RotationOutcome] = []
        for rotation in rotations {
            let decision = planner.decide(rotation, record: try store.rotation(rotation.id), liveTokens: tokens)
            journal.log(.plan, rotation: rotation.id, tokenID: decision.current?.id, outcome: decision.verdict.isDue ? .ok : .skipped, detail: decision.verdict.reason)
            if decision.verdict.isDue {
                outcomes.append(try await executor.execute(decision))
            } else {
                // Not due, but a revocation an earlier run could not finish is retried.
                let (revoked, errors) = try await executor.revokeSuperseded(rotation.id)
                outcomes.append(RotationOutcome(rotationID: rotation.id, result: .notDue, revokedTokenIDs: revoked, revocationErrors: errors))
            }
        }
        return outcomes
    }

    /// 3 when a token that could not be rotated expires within its warning window, 1 for any
    /// other failure (a failed revocation included), 0 otherwise.
    private func exitStatus(for outcome: RotationOutcome, plan: Plan) -> ExitStatus {
        if let failure = outcome.failure {
            let warnDays = plan.rotation(id: outcome.rotationID)?.warnBeforeDays ?? 0
            if let expiry = failure.oldTokenExpiresAt, expiry.timeIntervalSince(environment.now()) <= Double(warnDays) * 86_400 {
                return .expiringSoon
            }
            return .failure
        }
        return outcome.revocationErrors.isEmpty ? .success : .failure
    }
}

/// A failure that ends the whole run before any rotation started.
struct RunAbort: Error {
    var message: String
}
