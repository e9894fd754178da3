import Foundation
import Logging

/// Carries out one due rotation in the order that keeps pipelines working (SPEC §1, I1):
/// create → push to every target → verify the test pull and every target → promote in the
/// state → grace → revoke what the new token replaced. Any failure before promotion leaves the
/// old token valid; the new token is revoked at once only if no target can hold it.
public struct RotationExecutor: Sendable {
    private let envshed: EnvshedClient
    private let targets: TargetFactory
    private let store: any StateStore
    private let journal: RunJournal
    private let now: @Sendable () -> Date
    private let sleep: @Sendable (Duration) async throws -> Void

    public init(
        envshed: EnvshedClient, targets: TargetFactory, store: any StateStore, journal: RunJournal,
        now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (Duration) async throws -> Void
    ) {
        self.envshed = envshed
        self.targets = targets
        self.store = store
        self.journal = journal
        self.now = now
        self.sleep = sleep
    }

    /// - Throws: `StateError` only: without a working journal the run must stop.
    public func execute(_ decision: RotationDecision) async throws(StateError) -> RotationOutcome {
        let rotation = decision.rotation
        var attempt = Attempt(decision: decision, record: try store.rotation(rotation.id), now: now())
        let logger = journal.baseLogger

        // Every target must be buildable before anything is created.
        var writers: [any SecretTarget] = []
        for target in rotation.targets {
            do {
                writers.append(try targets.make(target))
            } catch {
                return try await fail(&attempt, step: .push, target: target.label, reason: "\(error)", created: nil)
            }
        }

        // 1. Create.
        var request = decision.request
        request.description = TokenNamer.description(rotationID: rotation.id, serial: decision.nextSerial, runID: journal.runID)
        let createStarted = try journal.begin(.create, rotation: rotation.id)
        let created: CreatedServiceToken
        do {
            created = try await envshed.create(request, logger: logger)
        } catch {
            try journal.end(.create, rotation: rotation.id, outcome: .failed, since: createStarted, detail: "\(error)")
            return try await fail(&attempt, step: .create, target: nil, reason: "\(error)", created: nil)
        }
        let expiresAt = created.token.expiresAt ?? attempt.startedAt.addingTimeInterval(Double(rotation.expiresInDays) * 86_400)
        try store.save(ManagedToken(
            tokenID: created.token.id, rotationID: rotation.id, origin: .created, name: created.token.name,
            fingerprint: created.value.fingerprint, expiresAt: expiresAt, serial: decision.nextSerial,
            runID: journal.runID, status: .pending, createdAt: now(), revokedAt: nil
        ))
        try journal.end(
            .create, rotation: rotation.id, tokenID: created.token.id, outcome: .ok, since: createStarted,
            detail: "created \"\(created.token.name)\" (fingerprint \(created.value.fingerprint)), \(TimeLeft.describe(until: expiresAt, from: now()))"
        )
        if let mismatch = Self.mismatch(created.token, request: request) {
            return try await fail(&attempt, step: .create, target: nil, reason: mismatch, created: created)
        }

        // 2. Push to every target.
        var receipts: [(any SecretTarget, PushReceipt)] = []
        for writer in writers {
            let label = writer.target.label
            let started = try journal.begin(.push, rotation: rotation.id, target: label, tokenID: created.token.id)
            let receipt: PushReceipt
            do {
                receipt = try await writer.push(created.value, logger: logger)
            } catch {
                if error.mayHaveWritten { attempt.holding.append(label) }
                try journal.end(.push, rotation: rotation.id, target: label, tokenID: created.token.id, outcome: .failed, since: started, detail: "\(error)")
                return try await fail(&attempt, step: .push, target: label, reason: "\(error)", created: created)
            }
            receipts.append((writer, receipt))
            attempt.holding.append(label)
            try journal.end(
                .push, rotation: rotation.id, target: label, tokenID: created.token.id, outcome: .ok, since: started,
                detail: receipt.created ? "created the secret" : "updated the secret"
            )
        }

        // 3. Verify: the new token pulls secrets, and every target holds what we wrote.
        let verify = rotation.verify
        let pullLabel = "envshed:\(verify.project)/\(verify.environment)"
        let pullStarted = try journal.begin(.verify, rotation: rotation.id, target: pullLabel, tokenID: created.token.id)
        let pulled: PullResult
        do {
            pulled = try await envshed.pull(project: verify.project, environment: verify.environment, with: created.value, logger: logger)
            let missing = verify.expectKeys.filter { !pulled.keys.contains($0) }
            guard missing.isEmpty else {
                throw EnvshedError.missingKeys(project: verify.project, environment: verify.environment, keys: missing)
            }
        } catch {
            try journal.end(.verify, rotation: rotation.id, target: pullLabel, tokenID: created.token.id, outcome: .failed, since: pullStarted, detail: "\(error)")
            return try await fail(&attempt, step: .verify, target: pullLabel, reason: "\(error)", created: created)
        }
        try journal.end(
            .verify, rotation: rotation.id, target: pullLabel, tokenID: created.token.id, outcome: .ok, since: pullStarted,
            detail: "test pull returned \(pulled.keys.count) keys\(pulled.version.map { " at version \($0)" } ?? "")"
        )
        var observations: [(Target, TargetObservation)] = []
        for (writer, receipt) in receipts {
            let label = writer.target.label
            let started = try journal.begin(.verify, rotation: rotation.id, target: label, tokenID: created.token.id)
            let observation: TargetObservation
            do {
                observation = try await writer.verify(receipt, logger: logger)
            } catch {
                try journal.end(.verify, rotation: rotation.id, target: label, tokenID: created.token.id, outcome: .failed, since: started, detail: "\(error)")
                return try await fail(&attempt, step: .verify, target: label, reason: "\(error)", created: created)
            }
            observations.append((writer.target, observation))
            try journal.end(
                .verify, rotation: rotation.id, target: label, tokenID: created.token.id, outcome: .ok, since: started,
                detail: observation.updatedAt.map { "updated_at \(Timestamp.format($0))" }
            )
        }

        // 4. Promote: from here on every target holds a verified successor, so everything this
        // rotation used before is superseded and may be revoked.
        try promote(&attempt, created: created, expiresAt: expiresAt, serial: decision.nextSerial, observations: observations)

        // 5. Grace: jobs queued with the old token may still be starting.
        if rotation.graceMinutes > 0 {
            journal.log(.revoke, rotation: rotation.id, outcome: .started, detail: "waiting \(rotation.graceMinutes) min of grace before revoking")
            try? await sleep(.seconds(rotation.graceMinutes * 60))
        }

        // 6. Revoke what was superseded.
        let (revoked, errors) = try await revokeSuperseded(rotation.id)
        journal.log(
            .done, rotation: rotation.id, tokenID: created.token.id, outcome: errors.isEmpty ? .ok : .failed,
            durationMS: Int64(now().timeIntervalSince(attempt.startedAt) * 1_000),
            detail: errors.isEmpty ? "rotated; \(revoked.count) old token(s) revoked" : "rotated, but revocation failed: \(errors.joined(separator: "; "))"
        )
        return RotationOutcome(
            rotationID: rotation.id, result: .rotated(token: created.token, fingerprint: created.value.fingerprint),
            revokedTokenIDs: revoked, revocationErrors: errors
        )
    }

    /// Revokes tokens of a rotation that a verified successor replaced on every target, including
    /// those a previous run failed to revoke.
    public func revokeSuperseded(_ rotationID: String) async throws(StateError) -> (revoked: [String], errors: [String]) {
        var revoked: [String] = []
        var errors: [String] = []
        for var token in try store.managedTokens(rotation: rotationID) where token.status == .superseded {
            let started = try journal.begin(.revoke, rotation: rotationID, tokenID: token.tokenID)
            let existed: Bool
            do {
                existed = try await envshed.revoke(tokenID: token.tokenID, logger: journal.baseLogger)
            } catch {
                errors.append("\(token.tokenID): \(error)")
                try journal.end(.revoke, rotation: rotationID, tokenID: token.tokenID, outcome: .failed, since: started, detail: "\(error); the next run retries")
                continue
            }
            token.status = .revoked
            token.revokedAt = now()
            try store.save(token)
            revoked.append(token.tokenID)
            try journal.end(
                .revoke, rotation: rotationID, tokenID: token.tokenID, outcome: .ok, since: started,
                detail: existed ? "revoked \(token.origin == .adopted ? "the adopted" : "the old") token" : "already revoked in Envshed"
            )
        }
        return (revoked, errors)
    }

    // MARK: - Steps

    private func promote(
        _ attempt: inout Attempt, created: CreatedServiceToken, expiresAt: Date, serial: Int, observations: [(Target, TargetObservation)]
    ) throws(StateError) {
        let rotationID = attempt.decision.rotation.id
        let at = now()
        for (target, observation) in observations {
            try store.save(TargetRecord(
                rotationID: rotationID, identity: target.identity, label: target.label, tokenID: created.token.id,
                providerUpdatedAt: observation.updatedAt, writtenAt: at
            ))
        }
        for var token in try store.managedTokens(rotation: rotationID) where token.status == .pending || token.status == .current {
            token.status = token.tokenID == created.token.id ? .current : .superseded
            try store.save(token)
        }
        if let old = attempt.decision.current, old.id != created.token.id,
           try !store.managedTokens(rotation: rotationID).contains(where: { $0.tokenID == old.id }) {
            // The adopted token (or one the state knew without a journal entry) joins the revocation list.
            try store.save(ManagedToken(
                tokenID: old.id, rotationID: rotationID, origin: old.adopted ? .adopted : .created, name: old.name,
                fingerprint: old.fingerprint, expiresAt: old.expiresAt, serial: max(serial - 1, 0), runID: journal.runID,
                status: .superseded, createdAt: at, revokedAt: nil
            ))
        }
        attempt.record.tokenID = created.token.id
        attempt.record.tokenName = created.token.name
        attempt.record.fingerprint = created.value.fingerprint
        attempt.record.expiresAt = expiresAt
        attempt.record.serial = serial
        attempt.record.adopted = false
        attempt.record.lastResult = .rotated
        attempt.record.lastError = nil
        attempt.record.lastRunAt = at
        attempt.record.rotatedAt = at
        try store.save(attempt.record)
    }

    /// Records a failure. The old token stays valid. The new token, when no target can hold it,
    /// is revoked at once (rollback) so that it does not linger; otherwise it stays live beside
    /// the old one and is revoked after the next successful rotation.
    private func fail(
        _ attempt: inout Attempt, step: Step, target: String?, reason: String, created: CreatedServiceToken?
    ) async throws(StateError) -> RotationOutcome {
        let rotationID = attempt.decision.rotation.id
        if let created, attempt.holding.isEmpty {
            try await rollback(created.token.id, rotation: rotationID)
        }
        let failure = RotationFailure(
            rotationID: rotationID, step: step, target: target, reason: reason,
            oldTokenID: attempt.decision.current?.id, oldTokenExpiresAt: attempt.decision.current?.expiresAt,
            targetsHoldingNewToken: attempt.holding
        )
        attempt.record.lastResult = attempt.holding.isEmpty ? .failed : .needsAttention
        attempt.record.lastError = failure.line(now: now())
        attempt.record.lastRunAt = now()
        try store.save(attempt.record)
        return RotationOutcome(rotationID: rotationID, result: .failed(failure), revokedTokenIDs: [], revocationErrors: [])
    }

    /// Revokes a new token that no target received. If that fails it stays `pending` and is
    /// revoked after the next successful rotation.
    private func rollback(_ tokenID: String, rotation rotationID: String) async throws(StateError) {
        let started = try journal.begin(.rollback, rotation: rotationID, tokenID: tokenID)
        do {
            try await envshed.revoke(tokenID: tokenID, logger: journal.baseLogger)
        } catch {
            try journal.end(.rollback, rotation: rotationID, tokenID: tokenID, outcome: .failed, since: started, detail: "\(error); the next successful rotation revokes it")
            return
        }
        if var token = try store.managedTokens(rotation: rotationID).first(where: { $0.tokenID == tokenID }) {
            token.status = .revoked
            token.revokedAt = now()
            try store.save(token)
        }
        try journal.end(.rollback, rotation: rotationID, tokenID: tokenID, outcome: .ok, since: started, detail: "revoked the new token: no target received it")
    }

    /// Envshed must answer with what was asked for; a token with another scope or permission
    /// would be a silent privilege change.
    static func mismatch(_ token: ServiceToken, request: NewServiceToken) -> String? {
        if let scope = token.scope, scope != request.scope {
            return "Envshed created the token with scope \(scope.rawValue), not \(request.scope.rawValue)"
        }
        if let permission = token.permission, permission != request.permission {
            return "Envshed created the token with permission \(permission.rawValue), not \(request.permission.rawValue)"
        }
        return nil
    }
}

/// The working state of one rotation attempt.
private struct Attempt {
    let decision: RotationDecision
    var record: RotationRecord
    let startedAt: Date
    /// Targets that hold, or may hold, the new token.
    var holding: [String] = []

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
