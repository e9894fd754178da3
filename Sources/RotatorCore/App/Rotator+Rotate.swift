import Foundation
import Logging

extension Rotator {
    /// `rotate ID --reason TEXT`: rotates one rotation now, whether due or not (on-call). Shows the
    /// blast radius first and asks for confirmation on a terminal unless `--yes`; without a
    /// terminal and without `--yes` it refuses (64). Takes the same lock as `run`, waiting for it
    /// with a visible message. `--emergency` skips the grace period and allows
    /// `--revoke-old first|immediately`, the only exceptions to SPEC I1. The reason and the
    /// invoking user go into the audit trail and the notifications. Exit codes as `run`.
    public func rotate(_ request: RotateRequest, console: any OperatorConsole) async -> OperationResult {
        if let problem = request.usageProblem {
            return OperationResult(exit: .usage, messages: ["rotate: \(problem); nothing was changed"])
        }
        let plan: Plan
        let rotation: Rotation
        switch loadPlan().flatMap({ plan in select(plan, only: [request.rotationID]).map { (plan, $0) } }) {
        case .failure(let failure): return failure.result
        case .success(let loaded): (plan, rotation) = (loaded.0, loaded.1[0])
        }
        if !request.assumeYes && !console.isInteractive {
            return OperationResult(exit: .usage, messages: [
                "rotate: stdin is not a terminal, so nobody can confirm; pass --yes to rotate \(rotation.id) without a question; nothing was changed",
            ])
        }
        let envshed: EnvshedClient
        let targets: TargetFactory
        do {
            let transport = transport(for: plan, emergency: request.emergency)
            envshed = try envshedClient(plan, transport: transport)
            targets = try targetFactory(plan, rotations: [rotation], transport: transport)
            try checkNotificationCredentials(plan)
        } catch {
            return OperationResult(exit: .usage, messages: ["\(error); nothing was changed"])
        }

        // The blast radius first, read-only, before the lock: at 3 a.m. the on-call sees what
        // will happen (and may say no) without first waiting for the nightly run.
        let directory = environment.stateDirectory(for: plan)
        let user = InvokingUser.name(environment.variables)
        environment.interruptBehavior(.exitNow(.failure, "rotate \(rotation.id): not confirmed; nothing was changed"))
        var sight: RotateSight
        switch await look(at: rotation, request: request, envshed: envshed, directory: directory, user: user) {
        case .success(let seen): sight = seen
        case .failure(let failure): return failure.result
        }
        for line in sight.radius.lines { console.say(line) }
        if !request.assumeYes && !confirmed(rotation, console: console) {
            return OperationResult(exit: .failure, messages: ["rotate: not confirmed; nothing was changed"])
        }

        environment.interruptBehavior(.exitNow(.locked, "rotate \(rotation.id): stopped waiting for the lock; nothing was changed"))
        let lock: RunLock
        switch await takeLock(directory: directory, wait: request.waitForLock, preempt: request.preempt, console: console) {
        case .taken(let taken): lock = taken
        case .refused(let failure): return failure
        }
        defer { withExtendedLifetime(lock) {} }

        // Under the lock, look again: the run this one waited for (or preempted) may have
        // rotated this token or left a rotation half done, which this one then rolls forward.
        environment.interruptBehavior(.exitNow(.failure, "rotate \(rotation.id): interrupted before any change; nothing was changed"))
        let confirmedTokenID = sight.decision.current?.id
        switch await look(at: rotation, request: request, envshed: envshed, directory: directory, user: user) {
        case .success(let seen): sight = seen
        case .failure(let failure): return failure.result
        }
        if sight.decision.current?.id != confirmedTokenID {
            console.say(
                "while this waited for the lock, \(rotation.id) changed: its current token is now \(sight.decision.current?.id ?? "none") (was \(confirmedTokenID ?? "none")); the blast radius now:"
            )
            for line in sight.radius.lines { console.say(line) }
            if !request.assumeYes && !confirmed(rotation, console: console) {
                return OperationResult(exit: .failure, messages: ["rotate: not confirmed; nothing was changed"])
            }
        }
        let (decision, radius, tokens) = (sight.decision, sight.radius, sight.tokens)
        // From the first write on, a signal finishes the step in flight and stops (crash-safety.md).
        environment.interruptBehavior(.finishStep)

        let runID = Self.newRunID()
        let store: SQLiteStateStore
        do {
            store = try SQLiteStateStore(directory: directory)
            try store.begin(RunRecord(runID: runID, command: "rotate", startedAt: environment.now(), finishedAt: nil, exitCode: nil, pid: Int(getpid())))
        } catch {
            return OperationResult(exit: .failure, messages: ["rotate: \(error); nothing was changed"])
        }
        let context = RotateContext(rotationID: rotation.id, reason: request.reason, user: user, emergency: request.emergency, revokeOld: request.revokeOld)
        let operations = RunOperations(plan: plan, directory: directory, environment: environment, runID: runID, command: "rotate", envshed: envshed, rotate: context)
        operations.started(rotations: [rotation.id])
        // Announced while the rotation runs: a slow channel must not keep a leaked token alive.
        let announcement = request.emergency
            ? [NotificationEvent.emergencyStarted(runID: runID, rotate: context, plan: plan, currentTokenID: decision.current?.id, targets: rotation.targets.map(\.label))]
            : []
        async let announced: Void = operations.notifier.send(announcement)
        if request.revokeOld == .first {
            logger.warning("emergency: revoking the old token first; CI pipelines that use it fail until the push completes", metadata: [
                LogKeys.rotation: "\(rotation.id)", LogKeys.runID: "\(runID)",
            ])
        }

        let result: OperationResult
        do {
            let journal = RunJournal(runID: runID, store: store, logger: logger, audit: operations.audit)
            try journalOrphans(of: rotation, in: LiveTokens(tokens), store: store, journal: journal)
            journal.log(.plan, rotation: rotation.id, tokenID: decision.current?.id, outcome: .ok, detail: "rotate by \(user): \(request.reason)")
            let executor = RotationExecutor(
                envshed: envshed, targets: targets, store: store, journal: journal, now: environment.now, sleep: environment.sleep,
                shouldStop: environment.shouldStop
            )
            let started = environment.now()
            environment.progress(RunProgress(due: 1, startedAt: started))
            let outcome = try await executor.execute(decision, revokeOld: request.revokeOld)
            environment.progress(RunProgress(due: 1, done: 1, failed: outcome.failure == nil ? 0 : 1, startedAt: started, finished: true))
            let exit = exitStatus(for: outcome, plan: plan)
            try recordEarlyRevocation(outcome, store: store)
            result = report(outcome, exit: exit, runID: runID, radius: radius, request: request, user: user)
            await announced
            await operations.finished(outcomes: [outcome], exit: exit, store: store)
        } catch {
            result = OperationResult(exit: .failure, messages: ["rotate \(runID): \(error); steps already completed are recorded"])
            await announced
            await operations.aborted(result, store: store, provider: nil)
        }
        try? store.finish(runID: runID, exitCode: Int(result.exit.rawValue), at: environment.now())
        StatePaths.handBack(directory)
        return result
    }

    /// What `rotate` would do now: the state (read-only, no lock needed) and Envshed's list (GET).
    private func look(at rotation: Rotation, request: RotateRequest, envshed: EnvshedClient, directory: String, user: String) async -> Result<RotateSight, RotateStop> {
        let tokens: [ServiceToken]
        let existing: SQLiteStateStore?
        do {
            existing = try SQLiteStateStore.openIfExists(directory: directory)
            tokens = try await envshed.listTokens(logger: logger)
        } catch {
            return .failure(RotateStop(result: OperationResult(exit: .failure, messages: ["rotate: \(error); nothing was changed"])))
        }
        var decision = RotationPlanner(now: environment.now()).decide(
            rotation, record: try? existing?.rotation(rotation.id), liveTokens: tokens, force: true
        )
        if request.emergency { decision.rotation.graceMinutes = 0 }
        let radius = BlastRadius(
            decision: decision, request: request, user: user, listed: decision.current.flatMap { current in tokens.first { $0.id == current.id } },
            leftovers: leftovers(rotation, store: existing, currentTokenID: decision.current?.id), now: environment.now()
        )
        return .success(RotateSight(decision: decision, radius: radius, tokens: tokens))
    }

    /// Asks on the terminal. Ctrl-C at the question ends the process at once (`InterruptBehavior`).
    private func confirmed(_ rotation: Rotation, console: any OperatorConsole) -> Bool {
        let answer = console.ask("Rotate \(rotation.id) now? Type 'yes' to go on: ")?.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        return (answer == "yes" || answer == "y") && !environment.shouldStop()
    }

    /// Takes the run lock. When the nightly run (or another rotate) holds it, says so at once and
    /// waits up to `wait`; 75 when it is still held then. With `preempt`, first asks the holder
    /// to stop (SIGTERM): a stopped run finishes its step, journals it and exits, and this run
    /// rolls its rotation forward (docs/crash-safety.md).
    private func takeLock(directory: String, wait: Duration, preempt: Bool, console: any OperatorConsole) async -> LockAttempt {
        do {
            return .taken(try await RunLock.acquire(directory: directory, command: "rotate"))
        } catch {
            guard case .held(_, let holder) = error, wait > .zero else { return .refused(Self.lockFailure(error)) }
            let command = Self.field("command", in: holder)
            let who = command == "run" ? "the nightly run" : "another \(command ?? "envshed-rotator") run"
            let pidText = Self.field("pid", in: holder)
            let pid = pidText.map { " (pid \($0))" } ?? ""
            if preempt {
                switch LockHolderProcess.askToStop(pid: pidText.flatMap { Int32($0) }) {
                case .signalled(let number):
                    console.say(
                        "--preempt: asked \(who) (pid \(number)) to stop (SIGTERM); it finishes the step in flight and exits, then this rotation rolls forward. Waiting up to \(wait.components.seconds) s for the lock… (Ctrl-C gives up, changing nothing)"
                    )
                case .refused(let reason):
                    console.say("--preempt: \(reason); waiting for \(who)\(pid) to finish… (up to \(wait.components.seconds) s)")
                }
            } else {
                console.say("waiting for \(who)\(pid) to finish… (up to \(wait.components.seconds) s; --wait-for-lock changes this, --preempt stops it, Ctrl-C gives up)")
            }
        }
        do {
            return .taken(try await RunLock.acquire(directory: directory, command: "rotate", wait: wait))
        } catch {
            return .refused(Self.lockFailure(error))
        }
    }

    private static func lockFailure(_ error: RunLockError) -> OperationResult {
        if case .held = error { return OperationResult(exit: .locked, messages: ["\(error); nothing was changed"]) }
        return OperationResult(exit: .failure, messages: ["\(error)"])
    }

    /// `pid=123 started=… command=run` → the value of `key`.
    static func field(_ key: String, in holder: String) -> String? {
        holder.split(separator: " ").first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
    }

    /// Tokens left by earlier attempts that no target holds, which the rotation revokes first.
    private func leftovers(_ rotation: Rotation, store: SQLiteStateStore?, currentTokenID: String?) -> [String] {
        guard let store, let records = try? store.targets(rotation: rotation.id), let tokens = try? store.managedTokens(rotation: rotation.id) else {
            return []
        }
        let holdings = TokenHoldings(rotation: rotation, records: records, currentTokenID: currentTokenID)
        return tokens.filter { token in
            (token.status == .pending || token.status == .superseded) && token.tokenID != currentTokenID && !holdings.mayBeHeld(token.tokenID)
        }.map(\.tokenID)
    }

    /// After a failure with `--revoke-old first|immediately`, the state's last error must not say
    /// that the old token stays valid: it was revoked on purpose.
    private func recordEarlyRevocation(_ outcome: RotationOutcome, store: SQLiteStateStore) throws(StateError) {
        guard let failure = outcome.failure, let old = failure.oldTokenID, outcome.revokedTokenIDs.contains(old),
              var record = try store.rotation(outcome.rotationID)
        else { return }
        record.lastError = NotificationEvent.revokedLine(failure, now: environment.now())
        try store.save(record)
    }

    private func report(_ outcome: RotationOutcome, exit: ExitStatus, runID: String, radius: BlastRadius, request: RotateRequest, user: String) -> OperationResult {
        let now = environment.now()
        let base = RunReport(runID: runID, outcomes: [outcome], exit: exit, now: now)
        var messages = base.failureLines
        if let failure = outcome.failure, let old = failure.oldTokenID, outcome.revokedTokenIDs.contains(old) {
            messages = [NotificationEvent.revokedLine(failure, now: now)] + messages.dropFirst()
        }
        if request.json {
            var document = (try? JSONSerialization.jsonObject(with: Data(base.json.utf8))) as? [String: Any] ?? [:]
            document["command"] = "rotate"
            document["reason"] = request.reason
            document["user"] = user
            document["emergency"] = request.emergency
            document["revoke_old"] = request.revokeOld.rawValue
            document["blast_radius"] = radius.json
            return OperationResult(exit: exit, output: JSONOutput.render(document), messages: messages)
        }
        return OperationResult(exit: exit, output: base.text, messages: messages)
    }
}

/// What `rotate` saw: the decision, its blast radius and Envshed's list it was made from.
private struct RotateSight {
    var decision: RotationDecision
    var radius: BlastRadius
    var tokens: [ServiceToken]
}

/// A look that failed: the result to report; nothing was changed.
private struct RotateStop: Error {
    var result: OperationResult
}

/// The lock, or the result to report when it could not be had.
private enum LockAttempt {
    case taken(RunLock)
    case refused(OperationResult)
}
