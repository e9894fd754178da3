/// Envshed's live tokens, indexed once per run: every rotation's decision looks tokens up by id
/// and checks its new name against every live name, so a plan of thousands of rotations must not
/// rebuild these per rotation.
public struct LiveTokens: Sendable {
    public let all: [ServiceToken]
    public let byID: [String: ServiceToken]
    public let names: Set<String>
    /// Tokens carrying the managed marker, by the rotation the marker names.
    public let markedByRotation: [String: [(token: ServiceToken, marker: ManagedMarker)]]

    public init(_ tokens: [ServiceToken]) {
        all = tokens
        byID = Dictionary(tokens.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        names = Set(tokens.map(\.name))
        let marked = tokens.compactMap { token in ManagedMarker.parse(token.description).map { (token: token, marker: $0) } }
        markedByRotation = Dictionary(grouping: marked, by: \.marker.rotationID)
    }
}
