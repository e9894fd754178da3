/// Which tokens the targets of a rotation may hold, from the journal. The rule that keeps
/// pipelines working (SPEC I1) is stated once, here: a token any target may hold is not
/// revocable; a declared target with no record holds the rotation's current token.
///
/// Records of targets the plan no longer declares count too: a target renamed in the plan
/// (`project: acme/web` → `project: 1234`) or removed for a while is still the same secret in
/// the provider, and may hold what its record says. The next verified rotation releases them.
public struct TokenHoldings: Sendable {
    /// Declared target label → the tokens it may hold.
    public let byTarget: [String: Set<String>]
    /// Journaled target no longer in the plan (label) → the tokens it may still hold.
    public let undeclared: [String: Set<String>]

    public init(rotation: Rotation, records: [TargetRecord], currentTokenID: String?) {
        let byIdentity = Dictionary(records.map { ($0.identity, $0) }, uniquingKeysWith: { first, _ in first })
        var byTarget: [String: Set<String>] = [:]
        for target in rotation.targets {
            if let record = byIdentity[target.identity] {
                byTarget[target.label] = Set(record.possibleTokenIDs)
            } else {
                byTarget[target.label] = currentTokenID.map { [$0] } ?? []
            }
        }
        let declared = Set(rotation.targets.map(\.identity))
        var undeclared: [String: Set<String>] = [:]
        for record in records where !declared.contains(record.identity) && !record.possibleTokenIDs.isEmpty {
            undeclared[record.label] = Set(record.possibleTokenIDs)
        }
        self.byTarget = byTarget
        self.undeclared = undeclared
    }

    public var held: Set<String> {
        (Array(byTarget.values) + Array(undeclared.values)).reduce(into: Set<String>()) { $0.formUnion($1) }
    }

    public func mayBeHeld(_ tokenID: String) -> Bool {
        held.contains(tokenID)
    }

    /// Targets that may hold something other than exactly the current token: an earlier attempt
    /// did not finish (or a target left the plan holding an older token), and the rotation must
    /// roll forward.
    public func unsettledTargets(currentTokenID: String?) -> [String] {
        let unsettled = { (tokens: Set<String>) -> Bool in
            guard let currentTokenID else { return !tokens.isEmpty }
            return tokens != [currentTokenID]
        }
        return (byTarget.filter { unsettled($0.value) }.keys.sorted())
            + undeclared.filter { unsettled($0.value) }.keys.sorted().map { "\($0) (no longer in the plan)" }
    }
}
