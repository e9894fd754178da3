import Foundation
import GRDB

/// What one target may hold, journaled before each write: the tokens it may hold now (more than
/// one while a write's outcome is unknown) and the last token verified on it. A token that some
/// declared target may hold is never revoked (SPEC I1); a target with no record is assumed to
/// hold the rotation's current token.
public struct TargetRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "target"

    public var rotationID: String
    public var identity: String
    public var label: String
    /// Every token this target may hold right now.
    public var possibleTokenIDs: [String]
    /// The token verified on it last, and the provider's timestamp then (for the drift report).
    public var verifiedTokenID: String?
    public var providerUpdatedAt: Date?
    public var updatedAt: Date

    public init(
        rotationID: String, identity: String, label: String, possibleTokenIDs: [String], verifiedTokenID: String?,
        providerUpdatedAt: Date?, updatedAt: Date
    ) {
        self.rotationID = rotationID
        self.identity = identity
        self.label = label
        self.possibleTokenIDs = possibleTokenIDs
        self.verifiedTokenID = verifiedTokenID
        self.providerUpdatedAt = providerUpdatedAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case rotationID = "rotation_id"
        case identity
        case label
        case possibleTokenIDs = "possible_token_ids"
        case verifiedTokenID = "verified_token_id"
        case providerUpdatedAt = "provider_updated_at"
        case updatedAt = "updated_at"
    }
}
