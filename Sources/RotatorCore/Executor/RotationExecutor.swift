import Foundation
import Logging

/// Carries out one due rotation in the order that keeps pipelines working (SPEC §1, I1):
/// clean up → create → test pull with the new token → push to every target → read every target
/// back → promote (one transaction) → revoke what no target can hold any more and whose grace is
/// over (docs/crash-safety.md states these rules on one page).
///
/// Every step is journaled before it acts: before a value is sent to a target, the target is
/// recorded as possibly holding the new token; only a token no declared target may hold is ever
/// revoked (`TokenHoldings`). The new token's value is never stored, so a crash loses it and the
/// next run rolls forward with a fresh token; whatever the crashed run created is revoked once no
/// target may hold it.
public struct RotationExecutor: Sendable {
    /// How many times a create whose outcome is unknown (no answer, 5xx) is tried in all.
    static let createAttempts = 3

    private let envshed: EnvshedClient
    private let targets: TargetFactory
    private let store: any StateStore
    private let journal: RunJournal
    private let now: @Sendable () -> Date
    private let sleep: @Sendable (Duration) async throws -> Void
    private let shouldStop: @Sendable () -> Bool

    public init(
        envshed: EnvshedClient, targets: TargetFactory, store: any StateStore, journal: RunJournal,
        now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (Duration) async throws -> Void,
        shouldStop: @escaping @Sendable () -> Bool = { false }
    ) {
        self.envshed = envshed
        self.targets = targets
        self.store = store
        self.journal = journal
        self.now = now
        self.sleep = sleep
        self.shouldStop = shouldStop
    }

    /// - Parameter revokeOld: when the current token is revoked; anything but `.afterVerify` is the
    ///   emergency exception to SPEC I1 (`rotate --emergency --revoke-old`).
    /// - Throws: `StateError` only: without a working journal the run must stop.
    public func execute(_ decision: RotationDecision, revokeOld: RevokeOldMode = .afterVerify) async throws(StateError) -> RotationOutcome {
        let rotation = decision.rotation
        var attempt = Attempt(decision: decision, record: try store.rotation(rotation.id), now: now())
        let logger = journal.baseLogger
        let emergency = EmergencyRevocation(envshed: envshed, store: store, journal: journal, now: now)
        if revokeOld == .first { attempt.revoked += try await emergency.revoke(decision, mode: .first) }

        // What earlier attempts left behind and no target can hold goes first.
        let (cleaned, cleanupErrors) = try await revokeUnheld(rotation, currentTokenID: attempt.record.tokenID)
        attempt.revoked += cleaned
        attempt.revocationErrors += cleanupErrors

        // Every target must be buildable before anything is created.
        var writers: [any SecretTarget] = []
        for target in rotation.targets {
            do {
                writers.append(try targets.make(target))
            } catch {
                return try await fail(&attempt, step: .push, target: target.label, reason: "\(error)", created: nil)
            }
        }

        // 1. Create; meanwhile the targets fetch what does not depend on the new token (a GitHub
        // scope's public key), one round trip less before the pushes.
        if shouldStop() { return try await stopped(&attempt, before: .create, created: nil) }
        let preparing = Task { await Self.prepareAll(writers, logger: logger) }
        let creation: Result<CreatedServiceToken, StepFailure>
        do {
            creation = try await create(decision, attempt: &attempt)
        } catch {
            await preparing.value
            throw error
        }
        await preparing.value
        let created: CreatedServiceToken
        switch creation {
        case .success(let token): created = token
        case .failure(let failure): return try await fail(&attempt, step: .create, target: nil, reason: failure.reason, created: nil)
        }
        if let mismatch = Self.mismatch(created.token, request: decision.request) {
            return try await fail(&attempt, step: .create, target: nil, reason: mismatch, created: created)
        }
        let expiresAt = try expiry(of: created, rotation: rotation, startedAt: attempt.startedAt)

        // 2. The test pull, before any target sees the token: a token that cannot read its
        // environment is revoked at once (no target may hold it) and the old one stays everywhere.
        if shouldStop() { return try await stopped(&attempt, before: .verify, created: created) }
        if let failure = try await testPull(rotation, token: created, logger: logger) {
            return try await fail(&attempt, step: .verify, target: failure.label, reason: failure.reason, created: created)
        }

        // 3. Push to every target at once. First, in one durable write, every target is journaled
        // as possibly holding the new token; only a refusal (never preceded by an unanswered
        // attempt) takes that back before promotion.
        if shouldStop() { return try await stopped(&attempt, before: .push, created: created) }
        try markMayHold(writers.map(\.target), rotation: rotation.id, token: created.token.id, current: attempt.record.tokenID)
        let pushes = await pushAll(writers, value: created.value, logger: logger)
        var receipts: [(any SecretTarget, PushReceipt)] = []
        var pushFailure: (label: String, reason: String)?
        for (writer, outcome) in zip(writers, pushes) {
            let label = writer.target.label
            switch outcome.result {
            case .success(let receipt):
                // The journal keeps every token this target may have held until promotion: a
                // success here is not yet a verified read-back, and pipelines may still use
                // what it held before (they get the grace period after promotion).
                receipts.append((writer, receipt))
                try journal.end(
                    .push, rotation: rotation.id, target: label, tokenID: created.token.id, outcome: .ok, durationMS: outcome.milliseconds,
                    detail: receipt.created ? "created the secret" : "updated the secret"
                )
            case .failure(let error):
                if !error.mayHaveWritten {
                    // Refused, or never sent: the target still holds what it held.
                    try updateTarget(writer.target, rotation: rotation.id, current: attempt.record.tokenID) { record in
                        record.possibleTokenIDs.removeAll { $0 == created.token.id }
                    }
                }
                try journal.end(.push, rotation: rotation.id, target: label, tokenID: created.token.id, outcome: .failed, durationMS: outcome.milliseconds, detail: "\(error)")
                pushFailure = pushFailure ?? (label, "\(error)")
            }
        }
        if let pushFailure {
            let others = pushes.filter { if case .failure = $0.result { true } else { false } }.count - 1
            let reason = pushFailure.reason + (others > 0 ? " (and \(others) more target\(others == 1 ? "" : "s") failed; see the log)" : "")
            return try await fail(&attempt, step: .push, target: pushFailure.label, reason: reason, created: created)
        }

        if revokeOld == .immediately { attempt.revoked += try await emergency.revoke(decision, mode: .immediately) }

        if shouldStop() { return try await stopped(&attempt, before: .verify, created: created) }

        // 4. Read every target back, all at once.
        let readBacks = await readBackAll(receipts, logger: logger)
        var verified: [String: TargetObservation] = [:]
        var verifyFailure: (label: String, reason: String)?
        for ((writer, _), outcome) in zip(receipts, readBacks) {
            let label = writer.target.label
            switch outcome.result {
            case .success(let observation):
                verified[writer.target.identity] = observation
                try journal.end(
                    .verify, rotation: rotation.id, target: label, tokenID: created.token.id, outcome: .ok, durationMS: outcome.milliseconds,
                    detail: observation.updatedAt.map { "updated_at \(Timestamp.format($0))" }
                )
            case .failure(let error):
                try journal.end(.verify, rotation: rotation.id, target: label, tokenID: created.token.id, outcome: .failed, durationMS: outcome.milliseconds, detail: "\(error)")
                verifyFailure = verifyFailure ?? (label, "\(error)")
            }
        }
        if let verifyFailure {
            return try await fail(&attempt, step: .verify, target: verifyFailure.label, reason: verifyFailure.reason, created: created)
        }

        // 5. Promote, in one transaction. What it supersedes gets `revoke_after` (the grace
        // period, for jobs queued with the old token): revoked below if already due, else by the
        // end of this run or the next run — no slot and no lock is held waiting for it.
        let revokeAfter = try promote(&attempt, created: created, expiresAt: expiresAt, verified: verified)

        // 6. Revoke everything no target can hold any more and whose grace is over.
        let (revoked, errors) = try await revokeUnheld(rotation, currentTokenID: created.token.id)
        attempt.revoked += revoked
        attempt.revocationErrors += errors
        let waiting = rotation.graceMinutes > 0 ? "; the old token is revoked after \(Timestamp.format(revokeAfter)) (grace period)" : ""
        journal.log(
            .done, rotation: rotation.id, tokenID: created.token.id, outcome: attempt.revocationErrors.isEmpty ? .ok : .failed,
            durationMS: Int64(now().timeIntervalSince(attempt.startedAt) * 1_000),
            detail: attempt.revocationErrors.isEmpty
                ? "rotated; \(attempt.revoked.count) old token(s) revoked\(waiting)"
                : "rotated, but revocation failed: \(attempt.revocationErrors.joined(separator: "; "))"
        )
        return RotationOutcome(
            rotationID: rotation.id, result: .rotated(token: created.token, fingerprint: created.value.fingerprint),
            revokedTokenIDs: attempt.revoked, revocationErrors: attempt.revocationErrors
        )
    }

    /// Revokes the rotation's tokens that no declared target may hold: leftovers of failed or
    /// crashed attempts, and superseded tokens whose grace is over. Never the current token.
    public func revokeUnheld(_ rotation: Rotation, currentTokenID: String?) async throws(StateError) -> (revoked: [String], errors: [String]) {
        let holdings = TokenHoldings(rotation: rotation, records: try store.targets(rotation: rotation.id), currentTokenID: currentTokenID)
        var revoked: [String] = []
        var errors: [String] = []
        let candidates = try store.managedTokens(rotation: rotation.id).filter { token in
            (token.status == .pending || token.status == .superseded)
                && token.tokenID != currentTokenID
                && !holdings.mayBeHeld(token.tokenID)
                && (token.revokeAfter.map { $0 <= now() } ?? true)
        }
        for var token in candidates {
            let step: Step = token.status == .pending ? .rollback : .revoke
            let what = token.origin == .adopted ? "the adopted token" : (step == .rollback ? "a token no target holds" : "the old token")
            let started = try journal.begin(step, rotation: rotation.id, tokenID: token.tokenID)
            let existed: Bool
            do {
                existed = try await envshed.revoke(tokenID: token.tokenID, logger: journal.baseLogger)
            } catch {
                errors.append("\(token.tokenID): \(error)")
                try journal.end(step, rotation: rotation.id, tokenID: token.tokenID, outcome: .failed, since: started, detail: "\(error); the next run retries")
                continue
            }
            token.status = .revoked
            token.revokedAt = now()
            try store.save(token)
            revoked.append(token.tokenID)
            try journal.end(
                step, rotation: rotation.id, tokenID: token.tokenID, outcome: .ok, since: started,
                detail: existed ? "revoked \(what)" : "already revoked in Envshed"
            )
        }
        return (revoked, errors)
    }

    // MARK: - Steps

    /// Creates the token. A create whose outcome is unknown is never repeated blindly: the list is
    /// checked for a token carrying this rotation's marker with this attempt's key first; one found
    /// is revoked (its value is lost) before trying again, so two live tokens never share a name.
    private func create(_ decision: RotationDecision, attempt: inout Attempt) async throws(StateError) -> Result<CreatedServiceToken, StepFailure> {
        let rotation = decision.rotation
        var request = decision.request
        var lastError = ""
        for number in 1...Self.createAttempts {
            let marker = ManagedMarker(rotationID: rotation.id, serial: decision.nextSerial, attempt: "\(journal.runID)-\(number)")
            request.description = marker.description
            let started = try journal.begin(.create, rotation: rotation.id, detail: "attempt \(marker.attempt)")
            let created: CreatedServiceToken
            do {
                created = try await envshed.create(request, logger: journal.baseLogger)
            } catch {
                lastError = "\(error)"
                try journal.end(.create, rotation: rotation.id, outcome: .failed, since: started, detail: lastError)
                guard error.outcomeUnknown else { return .failure(StepFailure(reason: lastError)) }
                if let failure = try await settleUnknownCreate(rotation, marker: marker) {
                    return .failure(failure)
                }
                guard number < Self.createAttempts else { return .failure(StepFailure(reason: lastError)) }
                try? await sleep(.milliseconds(200 * number))
                continue
            }
            // Journaled before anything else happens with it.
            try store.save(ManagedToken(
                tokenID: created.token.id, rotationID: rotation.id, origin: .created, name: created.token.name,
                fingerprint: created.value.fingerprint, expiresAt: created.token.expiresAt,
                serial: decision.nextSerial, runID: journal.runID, status: .pending, createdAt: now()
            ))
            try journal.end(
                .create, rotation: rotation.id, tokenID: created.token.id, outcome: .ok, since: started,
                detail: "created \"\(created.token.name)\" (fingerprint \(created.value.fingerprint)), \(TimeLeft.describe(until: created.token.expiresAt, from: now()))"
            )
            return .success(created)
        }
        return .failure(StepFailure(reason: lastError))
    }

    /// After a create whose answer was lost: finds the token created under `marker` — this
    /// rotation and this attempt, never another rotation's token of the same run —, journals it and
    /// revokes it. Returns a failure when that cannot be established (then nothing more is created;
    /// a token that lands later carries the marker and is found by the next run's list).
    private func settleUnknownCreate(_ rotation: Rotation, marker: ManagedMarker) async throws(StateError) -> StepFailure? {
        let tokens: [ServiceToken]
        do {
            tokens = try await envshed.listTokens(logger: journal.baseLogger)
        } catch {
            return StepFailure(reason: "the create's outcome is unknown and the token list cannot be read to check it: \(error)")
        }
        let landed = tokens.filter { token in
            guard let found = ManagedMarker.parse(token.description) else { return false }
            return found.rotationID == marker.rotationID && found.attempt == marker.attempt
        }
        for token in landed {
            try store.save(ManagedToken(
                tokenID: token.id, rotationID: rotation.id, origin: .created, name: token.name, fingerprint: nil,
                expiresAt: token.expiresAt, serial: marker.serial, runID: journal.runID, status: .pending, createdAt: now()
            ))
            let started = try journal.begin(.rollback, rotation: rotation.id, tokenID: token.id)
            do {
                try await envshed.revoke(tokenID: token.id, logger: journal.baseLogger)
            } catch {
                try journal.end(.rollback, rotation: rotation.id, tokenID: token.id, outcome: .failed, since: started, detail: "\(error)")
                return StepFailure(reason: "a token created without an answer (\(token.id)) could not be revoked: \(error)")
            }
            if var journaled = try store.managedTokens(rotation: rotation.id).first(where: { $0.tokenID == token.id }) {
                journaled.status = .revoked
                journaled.revokedAt = now()
                try store.save(journaled)
            }
            try journal.end(.rollback, rotation: rotation.id, tokenID: token.id, outcome: .ok, since: started, detail: "revoked a token whose create answer was lost")
        }
        return nil
    }

    /// The new token's expiry as Envshed states it (the client reads the list when the create
    /// answer has none): the plan's arithmetic is only a guess, used, and said, when Envshed
    /// gives no expiry at all.
    private func expiry(of created: CreatedServiceToken, rotation: Rotation, startedAt: Date) throws(StateError) -> Date {
        if let expiresAt = created.token.expiresAt { return expiresAt }
        let expiresAt = startedAt.addingTimeInterval(Double(rotation.expiresInDays) * 86_400)
        journal.log(
            .create, rotation: rotation.id, tokenID: created.token.id, outcome: .ok,
            detail: "Envshed gives no expiry for the new token; assuming \(rotation.expiresInDays) days (\(Timestamp.format(expiresAt)))"
        )
        return expiresAt
    }

    /// Pulls the verify environment with the new token. nil when it works and has every expected key.
    private func testPull(_ rotation: Rotation, token created: CreatedServiceToken, logger: Logger) async throws(StateError) -> (label: String, reason: String)? {
        let verify = rotation.verify
        let label = "envshed:\(verify.project)/\(verify.environment)"
        let started = ContinuousClock.now
        let result: Result<PullResult, EnvshedError>
        do throws(EnvshedError) {
            let pulled = try await envshed.pull(project: verify.project, environment: verify.environment, with: created.value, logger: logger)
            let missing = verify.expectKeys.filter { !pulled.keys.contains($0) }
            guard missing.isEmpty else {
                throw EnvshedError.missingKeys(project: verify.project, environment: verify.environment, keys: missing)
            }
            result = .success(pulled)
        } catch {
            result = .failure(error)
        }
        let pull = Timed(result: result, since: started)
        switch pull.result {
        case .success(let pulled):
            try journal.end(
                .verify, rotation: rotation.id, target: label, tokenID: created.token.id, outcome: .ok, durationMS: pull.milliseconds,
                detail: "test pull returned \(pulled.keys.count) keys\(pulled.version.map { " at version \($0)" } ?? "")"
                    + (pulled.undecryptableKeys.isEmpty ? "" : "; Envshed could not decrypt \(pulled.undecryptableKeys.joined(separator: ", "))")
            )
            return nil
        case .failure(let error):
            try journal.end(.verify, rotation: rotation.id, target: label, tokenID: created.token.id, outcome: .failed, durationMS: pull.milliseconds, detail: "\(error)")
            return (label, "\(error); the new token reached no target and is revoked")
        }
    }

    /// Pushes to every target concurrently (the per-host budgets bound how many requests fly).
    /// A push not started because a shutdown was requested counts as refused: nothing was sent.
    private static func prepareAll(_ writers: [any SecretTarget], logger: Logger) async {
        await withTaskGroup(of: Void.self) { group in
            for writer in writers {
                group.addTask { await writer.prepare(logger: logger) }
            }
        }
    }

    private func pushAll(_ writers: [any SecretTarget], value: Secret, logger: Logger) async -> [Timed<PushReceipt, TargetError>] {
        await withTaskGroup(of: (Int, Timed<PushReceipt, TargetError>).self) { group in
            for (index, writer) in writers.enumerated() {
                group.addTask { [shouldStop] in
                    let started = ContinuousClock.now
                    guard !shouldStop() else {
                        let error = TargetError(provider: writer.target.provider, target: writer.target.label, operation: "push", message: "not started: shutting down")
                        return (index, Timed(result: .failure(error), since: started))
                    }
                    do throws(TargetError) {
                        return (index, Timed(result: .success(try await writer.push(value, logger: logger)), since: started))
                    } catch {
                        return (index, Timed(result: .failure(error), since: started))
                    }
                }
            }
            return await Self.ordered(group, count: writers.count)
        }
    }

    /// Every target's read-back, concurrently.
    private func readBackAll(_ receipts: [(any SecretTarget, PushReceipt)], logger: Logger) async -> [Timed<TargetObservation, TargetError>] {
        await withTaskGroup(of: (Int, Timed<TargetObservation, TargetError>).self) { group in
            for (index, (writer, receipt)) in receipts.enumerated() {
                group.addTask {
                    let started = ContinuousClock.now
                    do throws(TargetError) {
                        return (index, Timed(result: .success(try await writer.verify(receipt, logger: logger)), since: started))
                    } catch {
                        return (index, Timed(result: .failure(error), since: started))
                    }
                }
            }
            return await Self.ordered(group, count: receipts.count)
        }
    }

    /// A task group's results back in the order the tasks were added.
    private static func ordered<Value: Sendable>(_ group: TaskGroup<(Int, Value)>, count: Int) async -> [Value] {
        var group = group
        var results: [Value?] = Array(repeating: nil, count: count)
        while let (index, value) = await group.next() {
            results[index] = value
        }
        return results.compactMap { $0 }
    }

    /// Journals, in one durable transaction, that each target may from now on hold `token`, with a
    /// `push started` step per target. Written before any value leaves the process.
    private func markMayHold(_ targets: [Target], rotation: String, token: String, current: String?) throws(StateError) {
        let existing = Dictionary(try store.targets(rotation: rotation).map { ($0.identity, $0) }, uniquingKeysWith: { first, _ in first })
        let records = targets.map { target in
            var record = existing[target.identity] ?? TargetRecord(
                rotationID: rotation, identity: target.identity, label: target.label, possibleTokenIDs: current.map { [$0] } ?? [],
                verifiedTokenID: current, providerUpdatedAt: nil, updatedAt: now()
            )
            if !record.possibleTokenIDs.contains(token) { record.possibleTokenIDs.append(token) }
            record.label = target.label
            record.updatedAt = now()
            return record
        }
        let steps = targets.map { StepRecord(runID: journal.runID, rotationID: rotation, step: .push, target: $0.label, tokenID: token, outcome: .started) }
        try store.saveDurably(targets: records, steps: steps)
    }

    /// Every target holds the verified new token: it becomes current; everything it replaces that
    /// a target may have held (the old token, a token of an interrupted attempt or one found
    /// without a journal entry) is superseded and revocable after the grace period; a pending
    /// token no target could hold stays pending and goes at once. One transaction.
    /// - Returns: when the superseded tokens may be revoked.
    private func promote(_ attempt: inout Attempt, created: CreatedServiceToken, expiresAt: Date, verified: [String: TargetObservation]) throws(StateError) -> Date {
        let rotation = attempt.decision.rotation
        let at = now()
        let revokeAfter = at.addingTimeInterval(Double(rotation.graceMinutes) * 60)
        let heldBefore = TokenHoldings(rotation: rotation, records: try store.targets(rotation: rotation.id), currentTokenID: attempt.record.tokenID).held
        var tokens = try store.managedTokens(rotation: rotation.id)
        for index in tokens.indices {
            if tokens[index].tokenID == created.token.id {
                tokens[index].status = .current
                tokens[index].expiresAt = expiresAt
            } else if tokens[index].status == .current || (tokens[index].status == .pending && heldBefore.contains(tokens[index].tokenID)) {
                tokens[index].status = .superseded
                tokens[index].revokeAfter = revokeAfter
            }
        }
        if let old = attempt.decision.current, old.id != created.token.id, !tokens.contains(where: { $0.tokenID == old.id }) {
            // The adopted token (or one the state knew without a journal entry) joins the revocation list.
            tokens.append(ManagedToken(
                tokenID: old.id, rotationID: rotation.id, origin: old.adopted ? .adopted : .created, name: old.name,
                fingerprint: old.fingerprint, expiresAt: old.expiresAt, serial: max(attempt.decision.nextSerial - 1, 0),
                runID: journal.runID, status: .superseded, createdAt: at, revokeAfter: revokeAfter
            ))
        }
        var targets = rotation.targets.map { target in
            TargetRecord(
                rotationID: rotation.id, identity: target.identity, label: target.label, possibleTokenIDs: [created.token.id],
                verifiedTokenID: created.token.id, providerUpdatedAt: verified[target.identity]?.updatedAt, updatedAt: at
            )
        }
        // A target that left the plan is released: what it may hold is superseded above and goes
        // after the grace period; the tool no longer writes there.
        let declared = Set(rotation.targets.map(\.identity))
        for var record in try store.targets(rotation: rotation.id) where !declared.contains(record.identity) && !record.possibleTokenIDs.isEmpty {
            record.possibleTokenIDs = []
            record.updatedAt = at
            targets.append(record)
        }
        attempt.record.tokenID = created.token.id
        attempt.record.tokenName = created.token.name
        attempt.record.fingerprint = created.value.fingerprint
        attempt.record.expiresAt = expiresAt
        attempt.record.serial = attempt.decision.nextSerial
        attempt.record.adopted = false
        attempt.record.lastResult = .rotated
        attempt.record.lastError = nil
        attempt.record.lastRunAt = at
        attempt.record.rotatedAt = at
        try store.commit(record: attempt.record, tokens: tokens, targets: targets)
        return revokeAfter
    }

    /// Changes one target's journal entry; a target without one starts from the current token.
    private func updateTarget(_ target: Target, rotation: String, current: String?, _ change: (inout TargetRecord) -> Void) throws(StateError) {
        var record = try store.targets(rotation: rotation).first { $0.identity == target.identity } ?? TargetRecord(
            rotationID: rotation, identity: target.identity, label: target.label, possibleTokenIDs: current.map { [$0] } ?? [],
            verifiedTokenID: current, providerUpdatedAt: nil, updatedAt: now()
        )
        change(&record)
        record.label = target.label
        record.updatedAt = now()
        try store.save(record)
    }

    /// SIGTERM between steps: stop here, leave the old token valid; the next run rolls forward.
    private func stopped(_ attempt: inout Attempt, before step: Step, created: CreatedServiceToken?) async throws(StateError) -> RotationOutcome {
        try await fail(&attempt, step: step, target: nil, reason: "stopped by a shutdown request before \(step.rawValue); the next run rolls forward", created: created)
    }

    /// Records a failure. The old token stays valid. Whatever no target can hold (the new token
    /// when no target received it) is revoked at once; the rest waits for a later success.
    private func fail(
        _ attempt: inout Attempt, step: Step, target: String?, reason: String, created: CreatedServiceToken?
    ) async throws(StateError) -> RotationOutcome {
        let rotation = attempt.decision.rotation
        var revoked = attempt.revoked
        if created != nil {
            let (cleaned, _) = try await revokeUnheld(rotation, currentTokenID: attempt.record.tokenID)
            revoked += cleaned
        }
        let holdings = TokenHoldings(rotation: rotation, records: try store.targets(rotation: rotation.id), currentTokenID: attempt.record.tokenID)
        let holding = created.map { token in holdings.byTarget.filter { $0.value.contains(token.token.id) }.keys.sorted() } ?? []
        let failure = RotationFailure(
            rotationID: rotation.id, step: step, target: target, reason: reason,
            oldTokenID: attempt.decision.current?.id, oldTokenExpiresAt: attempt.decision.current?.expiresAt,
            targetsHoldingNewToken: holding
        )
        attempt.record.lastResult = holding.isEmpty ? .failed : .needsAttention
        attempt.record.lastError = failure.line(now: now())
        attempt.record.lastRunAt = now()
        try store.save(attempt.record)
        return RotationOutcome(rotationID: rotation.id, result: .failed(failure), revokedTokenIDs: revoked, revocationErrors: attempt.revocationErrors)
    }

    /// Envshed must answer with what was asked for; a token with another scope, permission,
    /// project or environment would be a silent privilege change (or a token for the wrong
    /// environment pushed to every pipeline). A field the answer leaves out is not checked here:
    /// the test pull then proves the token reads the rotation's environment.
    static func mismatch(_ token: ServiceToken, request: NewServiceToken) -> String? {
        if let scope = token.scope, scope != request.scope {
            return "Envshed created the token with scope \(scope.rawValue), not \(request.scope.rawValue)"
        }
        if let permission = token.permission, permission != request.permission {
            return "Envshed created the token with permission \(permission.rawValue), not \(request.permission.rawValue)"
        }
        if let project = token.projectID, project != (request.projectID ?? "") {
            return "Envshed created the token for project \(project), not \(request.projectID ?? "the whole organization")"
        }
        if let environment = token.environmentID, environment != (request.environmentID ?? "") {
            return "Envshed created the token for environment \(environment), not \(request.environmentID ?? "every environment of its scope")"
        }
        return nil
    }
}

/// Why a step failed, for the failure line.
struct StepFailure: Error {
    var reason: String
}

/// A step's result and how long it took.
struct Timed<Success: Sendable, Failure: Error>: Sendable {
    var result: Result<Success, Failure>
    var milliseconds: Int64

    init(result: Result<Success, Failure>, since started: ContinuousClock.Instant) {
        self.result = result
        self.milliseconds = started.duration(to: .now).milliseconds
    }
}

/// The working state of one rotation attempt.
private struct Attempt {
    let decision: RotationDecision
    var record: RotationRecord
    let startedAt: Date
    var revoked: [String] = []
    var revocationErrors: [String] = []

    init(decision: RotationDecision, record: RotationRecord?, now: Date) {
        self.decision = decision
        self.startedAt = now
        self.record = record ?? RotationRecord(
            rotationID: decision.rotation.id, tokenID: decision.current?.id, tokenName: decision.current?.name,
            fingerprint: decision.current?.fingerprint, expiresAt: decision.current?.expiresAt, serial: 0,
            adopted: decision.current?.adopted ?? false, lastResult: nil, lastError: nil, lastRunAt: nil, rotatedAt: nil
        )
    }
}
