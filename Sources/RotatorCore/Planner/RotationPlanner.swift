import Foundation

/// Decides, for each rotation, whether it is due and what a rotation would create. Pure: the
/// plan, the state, Envshed's token list and the time in; decisions out. `plan` prints these,
/// `run` executes them.
public struct RotationPlanner: Sendable {
    public var now: Date

    public init(now: Date) {
        self.now = now
    }

    /// - Parameters:
    ///   - record: the state's record of this rotation, if any.
    ///   - liveTokens: the org's live tokens, from one list call per run.
    ///   - unsettledTargets: targets an earlier attempt left holding another token than the current
    ///     one (`TokenHoldings.unsettledTargets`); the rotation then rolls forward.
    ///   - force: rotate regardless of the lead time (`rotate ID`).
    ///   - reservedNames: names other rotations of this run will give their new tokens.
    public func decide(
        _ rotation: Rotation, record: RotationRecord?, liveTokens: LiveTokens, unsettledTargets: [String] = [], force: Bool = false,
        reservedNames: Set<String> = []
    ) -> RotationDecision {
        let live = liveTokens.byID
        let current = currentToken(rotation, record: record, live: live)
        let serial = (record?.serial ?? 0) + 1
        let name = TokenNamer.render(rotation, serial: serial, date: now, taken: reservedNames.isEmpty ? liveTokens.names : liveTokens.names.union(reservedNames))
        let request = NewServiceToken(
            name: name,
            description: "",
            scope: rotation.scope,
            projectID: rotation.scope == .org ? nil : rotation.project?.id,
            environmentID: rotation.scope == .environment ? rotation.environment?.id : nil,
            permission: rotation.permission,
            expiresInDays: rotation.expiresInDays
        )
        var (verdict, nextDue) = verdict(rotation, current: current, force: force, adoptMissing: record?.tokenID == nil && rotation.adopt != nil && current == nil)
        if !verdict.isDue, !unsettledTargets.isEmpty {
            verdict = .due(reason: "an interrupted or failed attempt left \(unsettledTargets.joined(separator: ", ")) holding another token; rolling forward")
            nextDue = nil
        }
        return RotationDecision(rotation: rotation, current: current, verdict: verdict, nextDue: nextDue, nextSerial: serial, request: request)
    }

    private func currentToken(_ rotation: Rotation, record: RotationRecord?, live: [String: ServiceToken]) -> CurrentToken? {
        if let record, let tokenID = record.tokenID {
            let listed = live[tokenID]
            return CurrentToken(
                id: tokenID, name: record.tokenName ?? listed?.name, fingerprint: record.fingerprint,
                expiresAt: record.expiresAt ?? listed?.expiresAt, adopted: record.adopted, live: listed != nil
            )
        }
        if let adopt = rotation.adopt, let listed = live[adopt.tokenID] {
            return CurrentToken(
                id: adopt.tokenID, name: listed.name, fingerprint: nil,
                expiresAt: adopt.expiresAt ?? listed.expiresAt, adopted: true, live: true
            )
        }
        return nil
    }

    private func verdict(_ rotation: Rotation, current: CurrentToken?, force: Bool, adoptMissing: Bool) -> (RotationDecision.Verdict, Date?) {
        if force { return (.due(reason: "forced by rotate"), nil) }
        guard let current else {
            if adoptMissing, let adopt = rotation.adopt {
                return (.due(reason: "the adopted token \(adopt.tokenID) is not live in Envshed; creating the first managed token"), nil)
            }
            return (.due(reason: "no token yet: first rotation creates one"), nil)
        }
        guard current.live else {
            return (.due(reason: "the current token \(current.id) is no longer live in Envshed (revoked or deleted)"), nil)
        }
        guard let expiresAt = current.expiresAt else {
            return (.due(reason: "the current token never expires; replacing it with one that expires in \(rotation.expiresInDays) days"), nil)
        }
        let dueAt = expiresAt.addingTimeInterval(-Double(rotation.rotateBeforeDays) * 86_400)
        let left = TimeLeft.describe(until: expiresAt, from: now)
        if dueAt <= now {
            return (.due(reason: "the current token \(left), within the \(rotation.rotateBeforeDays)-day lead time"), nil)
        }
        return (.notDue(reason: "the current token \(left); due in \(TimeLeft.span(Int(dueAt.timeIntervalSince(now))))"), dueAt)
    }

    /// `decide` for a plain list (tests, one-off callers); a run indexes the list once with `LiveTokens`.
    public func decide(
        _ rotation: Rotation, record: RotationRecord?, liveTokens: [ServiceToken], unsettledTargets: [String] = [], force: Bool = false,
        reservedNames: Set<String> = []
    ) -> RotationDecision {
        decide(rotation, record: record, liveTokens: LiveTokens(liveTokens), unsettledTargets: unsettledTargets, force: force, reservedNames: reservedNames)
    }
}
