/// Which tokens the declared targets of a rotation may hold, from the journal. The rule that
/// keeps pipelines working (SPEC I1) is stated once, here: a token any declared target may hold
/// is not revocable; a target with no record holds the rotation's current token.
public struct TokenHoldings: Sendable {
    /// Target label → the tokens it may hold.
    public let byTarget: [String: Set<String>]

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
        self.byTarget = byTarget
    }

    public var held: Set<String> {
        byTarget.values.reduce(into: Set<String>()) { $0.formUnion($1) }
    }

    public func mayBeHeld(_ tokenID: String) -> Bool {
        held.contains(tokenID)
    }

    /// Targets that may hold something other than exactly the current token: an earlier attempt
    /// did not finish, and the rotation must roll forward.
    public func unsettledTargets(currentTokenID: String?) -> [String] {
        byTarget.filter { _, tokens in
            guard let currentTokenID else { return !tokens.isEmpty }
            return tokens != [currentTokenID]
        }.keys.sorted()
    }
}
