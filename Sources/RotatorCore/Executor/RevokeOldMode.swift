import Foundation

/// When a rotation revokes the token it replaces. `afterVerify` is SPEC I1: only once every target
/// holds the verified successor. `first` and `immediately` are the only, explicit, exceptions, for
/// a leaked token (`rotate ID --emergency --revoke-old first|immediately`).
public enum RevokeOldMode: String, Sendable, CaseIterable {
    /// Before anything else: the leaked token dies now; pipelines that use it fail until the push
    /// completes.
    case first
    /// Right after the pushes, before the read-backs (the test pull has already passed).
    case immediately
    /// Once every target holds the verified new token (and the grace period is over): the normal path.
    case afterVerify = "after-verify"
}

/// Revokes a rotation's current token ahead of the normal order, for `RevokeOldMode.first` and
/// `.immediately`. The state marks the token revoked, so promotion does not list it again; a
/// revocation that fails is logged and left to the normal path after verification.
struct EmergencyRevocation {
    let envshed: EnvshedClient
    let store: any StateStore
    let journal: RunJournal
    let now: @Sendable () -> Date

    /// - Returns: the revoked token's id, or nothing when there was none live or Envshed refused.
    func revoke(_ decision: RotationDecision, mode: RevokeOldMode) async throws(StateError) -> [String] {
        let rotation = decision.rotation.id
        guard let old = decision.current, old.live else {
            journal.log(.revoke, rotation: rotation, outcome: .skipped, detail: "--revoke-old \(mode.rawValue): no live token to revoke")
            return []
        }
        let when = mode == .first
            ? "before anything else: CI pipelines that use it fail until the push completes"
            : "right after the pushes (the test pull passed), before the read-backs"
        let started = try journal.begin(.revoke, rotation: rotation, tokenID: old.id, detail: "emergency --revoke-old \(mode.rawValue)")
        let existed: Bool
        do {
            existed = try await envshed.revoke(tokenID: old.id, logger: journal.baseLogger)
        } catch {
            try journal.end(
                .revoke, rotation: rotation, tokenID: old.id, outcome: .failed, since: started,
                detail: "emergency revocation (--revoke-old \(mode.rawValue)) failed: \(error); it is retried after verification"
            )
            return []
        }
        var token = try store.managedTokens(rotation: rotation).first { $0.tokenID == old.id } ?? ManagedToken(
            tokenID: old.id, rotationID: rotation, origin: old.adopted ? .adopted : .created, name: old.name,
            fingerprint: old.fingerprint, expiresAt: old.expiresAt, serial: max(decision.nextSerial - 1, 0),
            runID: journal.runID, status: .revoked, createdAt: now()
        )
        token.status = .revoked
        token.revokedAt = now()
        try store.save(token)
        try journal.end(
            .revoke, rotation: rotation, tokenID: old.id, outcome: .ok, since: started,
            detail: existed ? "emergency: revoked the old token \(when)" : "emergency: the old token was already revoked in Envshed"
        )
        return [old.id]
    }
}
