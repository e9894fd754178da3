import Foundation
import GRDB

/// What one target may hold, journaled before each write: the tokens it may hold now (more than
/// one while a write's outcome is unknown) and the last token verified on it. A token that some
/// declared target may hold is never revoked (SPEC I1); a target with no record is assumed to
/// hold the rotation's current token.
public struct TargetRecord: Codable, Sendable, Hashable {

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

extension TargetRecord: StateRow {
    static let table = "target"
    static let columns = ["rotation_id", "identity", "label", "possible_token_ids", "verified_token_id", "provider_updated_at", "updated_at"]

    var arguments: StatementArguments {
        [rotationID, identity, label, Self.encodeIDs(possibleTokenIDs), verifiedTokenID, providerUpdatedAt.map(Timestamp.database), Timestamp.database(updatedAt)]
    }

    init(row: Row) throws {
        rotationID = try row.decode(String.self, forColumn: "rotation_id")
        identity = try row.decode(String.self, forColumn: "identity")
        label = try row.decode(String.self, forColumn: "label")
        possibleTokenIDs = try Self.decodeIDs(row.decode(String.self, forColumn: "possible_token_ids"))
        verifiedTokenID = try row.decode(String?.self, forColumn: "verified_token_id")
        providerUpdatedAt = try row.decode(Date?.self, forColumn: "provider_updated_at")
        updatedAt = try row.decode(Date.self, forColumn: "updated_at")
    }

    /// The ids as a JSON array, as the first versions stored them through `Codable`.
    static func encodeIDs(_ ids: [String]) -> String {
        JSONLine.encode(ids)
    }

    static func decodeIDs(_ text: String) throws -> [String] {
        guard let ids = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String] else {
            throw StateRowError(column: "possible_token_ids", value: text)
        }
        return ids
    }
}
