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
            let transport = transport(for: plan)
            envshed = try envshedClient(plan, transport: transport)
            targets = try targetFactory(plan, rotations: rotations, transport: transport)
            try checkNotificationCredentials(plan)
        } catch {
            return OperationResult(exit: .usage, messages: ["\(error); nothing was changed"])
        }

        let directory = environment.stateDirectory(for: plan)
        let lock: RunLock
        // Waiting for the lock changes nothing: a signal then ends the wait at once.
        environment.interruptBehavior(.exitNow(.locked, "run: stopped waiting for the lock; nothing was changed"))
        defer { environment.interruptBehavior(.finishStep) }
        do {
            lock = try await RunLock.acquire(directory: directory, command: "run", wait: waitForLock)
            environment.interruptBehavior(.finishStep)
        } catch {
            if case .held = error { return OperationResult(exit: .locked, messages: ["\(error)"]) }
            return OperationResult(exit: .failure, messages: ["\(error)"])
        }
        defer { withExtendedLifetime(lock) {} }

        let runID = Self.newRunID()
        let store: SQLiteStateStore
        do {
            store = try SQLiteStateStore(directory: directory)
            try store.begin(RunRecord(runID: runID, command: "run", startedAt: environment.now(), finishedAt: nil, exitCode: nil, pid: Int(getpid())))
        } catch {
            return OperationResult(exit: .failure, messages: ["run: \(error); nothing was changed"])
        }
        let operations = RunOperations(plan: plan, directory: directory, environment: environment, runID: runID, command: "run", envshed: envshed)
        operations.started(rotations: rotations.map(\.id))
        let result: OperationResult
        do {
            let journal = RunJournal(runID: runID, store: store, logger: logger, audit: operations.audit)
            let outcomes = try await rotate(rotations, plan: plan, envshed: envshed, targets: targets, store: store, journal: journal)
            let exit = outcomes.map { exitStatus(for: $0, plan: plan) }.max() ?? .success
            let report = RunReport(runID: runID, outcomes: outcomes, exit: exit, now: environment.now())
            result = OperationResult(exit: exit, output: json ? report.json : report.text, messages: report.failureLines)
            await operations.finished(outcomes: outcomes, exit: exit, store: store)
        } catch let failure as RunAbort {
            result = OperationResult(exit: .failure, messages: ["run \(runID): \(failure.message)"])
            await operations.aborted(result, store: store)
        } catch {
            result = OperationResult(exit: .failure, messages: ["run \(runID): \(error); rotations already completed are recorded, the rest left as they were"])
            await operations.aborted(result, store: store, provider: nil)
        }
        try? store.finish(runID: runID, exitCode: Int(result.exit.rawValue), at: environment.now())
        StatePaths.handBack(directory)
        return result
    }

    private func rotate(
        _ rotations: [Rotation], plan: Plan, envshed: EnvshedClient, targets: TargetFactory, store: SQLiteStateStore, journal: RunJournal
    ) async throws -> [RotationOutcome] {
        let tokens: [ServiceToken]
        do {
            tokens = try await envshed.listTokens(logger: logger)
            // Two targets naming one GitLab project by id and by path are found before any
            // target of any rotation is written, not at the first GitLab push.
            if let gitlab = targets.gitlab { try await gitlab.collisions?.ensureNone(client: gitlab, logger: logger) }
        } catch {
            throw RunAbort(message: "\(error); nothing was changed")
        }
        let executor = RotationExecutor(
            envshed: envshed, targets: targets, store: store, journal: journal, now: environment.now, sleep: environment.sleep,
            shouldStop: environment.shouldStop
        )
        // Decide every rotation first (cheap, and names must be unique across the run), then
        // carry them out concurrently, at most `concurrency` at a time.
        let planner = RotationPlanner(now: environment.now())
        let indexed = LiveTokens(tokens)
        var decisions: [(decision: RotationDecision, record: RotationRecord?, refusal: String?)] = []
        var reserved = Set<String>()
        let managedElsewhere = Dictionary(try store.rotations().compactMap { record in record.tokenID.map { ($0, record.rotationID) } }, uniquingKeysWith: { first, _ in first })
        for rotation in rotations {
            try journalOrphans(of: rotation, in: indexed, store: store, journal: journal)
            let record = try store.rotation(rotation.id)
            let refusal = record?.tokenID == nil ? Self.adoptionConflict(rotation, live: indexed, managedElsewhere: managedElsewhere) : nil
            let current = record?.tokenID ?? rotation.adopt?.tokenID
            let holdings = TokenHoldings(rotation: rotation, records: try store.targets(rotation: rotation.id), currentTokenID: current)
            let decision = planner.decide(
                rotation, record: record, liveTokens: indexed, unsettledTargets: holdings.unsettledTargets(currentTokenID: current),
                reservedNames: reserved
            )
            if decision.verdict.isDue { reserved.insert(decision.request.name) }
            if let refusal {
                journal.log(.plan, rotation: rotation.id, tokenID: decision.current?.id, outcome: .failed, detail: refusal)
            } else {
                journal.log(.plan, rotation: rotation.id, tokenID: decision.current?.id, outcome: decision.verdict.isDue ? .ok : .skipped, detail: decision.verdict.reason)
            }
            decisions.append((decision, record, refusal))
        }
        let shouldStop = environment.shouldStop
        return try await withThrowingTaskGroup(of: (Int, RotationOutcome?).self) { group in
            var outcomes: [RotationOutcome?] = Array(repeating: nil, count: decisions.count)
            var next = 0
            func startNext() {
                guard next < decisions.count else { return }
                let index = next
                let (decision, record, refusal) = decisions[index]
                next += 1
                group.addTask {
                    if shouldStop() {
                        journal.log(.plan, rotation: decision.rotation.id, outcome: .skipped, detail: "not started: shutting down")
                        return (index, nil)
                    }
                    if let refusal {
                        let failure = RotationFailure(
                            rotationID: decision.rotation.id, step: .plan, target: nil, reason: refusal, oldTokenID: decision.current?.id,
                            oldTokenExpiresAt: decision.current?.expiresAt, targetsHoldingNewToken: []
                        )
                        return (index, RotationOutcome(rotationID: decision.rotation.id, result: .failed(failure), revokedTokenIDs: [], revocationErrors: []))
                    }
                    if decision.verdict.isDue {
                        return (index, try await executor.execute(decision))
                    }
                    // Not due, but what earlier runs left and no target holds is revoked now.
                    let (revoked, errors) = try await executor.revokeUnheld(decision.rotation, currentTokenID: record?.tokenID)
                    return (index, RotationOutcome(rotationID: decision.rotation.id, result: .notDue, revokedTokenIDs: revoked, revocationErrors: errors))
                }
            }
            // Progress counts the rotations that do work: due ones and refusals (a failure).
            let due = decisions.filter { $0.decision.verdict.isDue || $0.refusal != nil }.count
            var progress = RunProgress(due: due, startedAt: environment.now())
            environment.progress(progress)
            for _ in 0..<plan.concurrency { startNext() }
            while let (index, outcome) = try await group.next() {
                outcomes[index] = outcome
                startNext()
                if let outcome, decisions[index].decision.verdict.isDue || decisions[index].refusal != nil {
                    progress.done += 1
                    if outcome.failure != nil { progress.failed += 1 }
                    environment.progress(progress)
                }
            }
            progress.finished = true
            environment.progress(progress)
            return try await revokeAfterGrace(outcomes.compactMap { $0 }, rotations: rotations, executor: executor)
        }
    }

    /// A token superseded in this run waits out its grace period without holding the run: if it
    /// is over by the time every rotation is done, it is revoked now, else by the next run.
    private func revokeAfterGrace(_ outcomes: [RotationOutcome], rotations: [Rotation], executor: RotationExecutor) async throws -> [RotationOutcome] {
        let byID = Dictionary(rotations.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var result = outcomes
        for index in result.indices {
            guard case .rotated(let token, _) = result[index].result, let rotation = byID[result[index].rotationID], rotation.graceMinutes > 0,
                  !environment.shouldStop()
            else { continue }
            let (revoked, errors) = try await executor.revokeUnheld(rotation, currentTokenID: token.id)
            result[index].revokedTokenIDs += revoked
            result[index].revocationErrors += errors
        }
        return result
    }

    /// Tokens in Envshed that carry this rotation's managed marker but that the state does not
    /// know. A run that died before journaling its create leaves one — but so does a lost state
    /// directory, one restored from an older backup, or a run on another host: then the token
    /// may be the very one every target holds. Nothing proves otherwise, so each is journaled as
    /// possibly held by every declared target (the rotation then rolls forward) and is revoked
    /// only once a rotation has completed and every target was verified to hold its successor.
    ///
    /// The same holds for a token the state knows as `pending` from an earlier run, still live,
    /// that no record holds: a crash between the create and the "may hold" journal leaves one,
    /// but so does a state copied while a run was between its test pull and its pushes — and
    /// restored after that run had pushed the token everywhere.
    func journalOrphans(of rotation: Rotation, in tokens: LiveTokens, store: any StateStore, journal: RunJournal) throws(StateError) {
        let journaled = try store.managedTokens(rotation: rotation.id)
        let known = Set(journaled.map(\.tokenID))
        let current = try store.rotation(rotation.id)?.tokenID ?? rotation.adopt?.tokenID
        var orphans = (tokens.markedByRotation[rotation.id] ?? []).filter { !known.contains($0.token.id) && $0.token.id != current }
            .map { (id: $0.token.id, detail: "found a live token from attempt \($0.marker.attempt) that this state never journaled (a crash, or a lost or restored state directory)") }
        let holdings = TokenHoldings(rotation: rotation, records: try store.targets(rotation: rotation.id), currentTokenID: current)
        for token in journaled where token.status == .pending && token.runID != journal.runID && tokens.byID[token.tokenID] != nil
            && !holdings.mayBeHeld(token.tokenID) && token.tokenID != current {
            orphans.append((id: token.tokenID, detail: "a live token left pending by run \(token.runID) that no target was journaled to hold (a crash before its pushes, or a state restored from a copy)"))
        }
        guard !orphans.isEmpty else { return }
        let now = environment.now()
        // Targets first, durably: a crash between the two writes must leave the tokens held, not
        // journaled as leftovers no target holds.
        let existing = Dictionary(try store.targets(rotation: rotation.id).map { ($0.identity, $0) }, uniquingKeysWith: { first, _ in first })
        let records = rotation.targets.map { target in
            var record = existing[target.identity] ?? TargetRecord(
                rotationID: rotation.id, identity: target.identity, label: target.label, possibleTokenIDs: current.map { [$0] } ?? [],
                verifiedTokenID: current, providerUpdatedAt: nil, updatedAt: now
            )
            for orphan in orphans where !record.possibleTokenIDs.contains(orphan.id) {
                record.possibleTokenIDs.append(orphan.id)
            }
            record.updatedAt = now
            return record
        }
        try store.saveDurably(targets: records, steps: [])
        for (token, marker) in tokens.markedByRotation[rotation.id] ?? [] where !known.contains(token.id) && orphans.contains(where: { $0.id == token.id }) {
            try store.save(ManagedToken(
                tokenID: token.id, rotationID: rotation.id, origin: .created, name: token.name, fingerprint: nil,
                expiresAt: token.expiresAt, serial: marker.serial, runID: journal.runID, status: .pending, createdAt: now
            ))
        }
        for orphan in orphans {
            journal.log(
                .plan, rotation: rotation.id, tokenID: orphan.id, outcome: .ok,
                detail: "\(orphan.detail); every target may hold it, so it is revoked only after a verified rotation"
            )
        }
    }

    /// A token belongs to one rotation: if two adopted it, the first to finish would revoke it
    /// while the other's targets still hold it. The plan check catches two `adopt:` of one id;
    /// this catches adopting a token another rotation created (its marker says so) or manages now.
    static func adoptionConflict(_ rotation: Rotation, live: LiveTokens, managedElsewhere: [String: String]) -> String? {
        guard let adopted = rotation.adopt?.tokenID else { return nil }
        if let owner = managedElsewhere[adopted], owner != rotation.id {
            return "adopt.token_id \(adopted) is the current token of rotation \(owner); one token cannot belong to two rotations (remove the adopt: or let \(owner) rotate it first)"
        }
        if let marker = live.byID[adopted].flatMap({ ManagedMarker.parse($0.description) }), marker.rotationID != rotation.id {
            return "adopt.token_id \(adopted) was created by this tool for rotation \(marker.rotationID); one token cannot belong to two rotations"
        }
        return nil
    }

    /// 3 when a token that could not be rotated expires within its warning window, 1 for any
    /// other failure (a failed revocation included), 0 otherwise.
    func exitStatus(for outcome: RotationOutcome, plan: Plan) -> ExitStatus {
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
