import Foundation
import GRDB

/// A token the bot is responsible for revoking: one it created (journaled as soon as Envshed
/// answered) or the adopted one it replaced. A later run revokes it once no target can hold it.
public struct ManagedToken: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "managed_token"

    public enum Origin: String, Codable, Sendable, DatabaseValueConvertible {
        case created
        case adopted
    }

    public enum Status: String, Codable, Sendable, DatabaseValueConvertible {
        /// Created, not (yet) on every target and verified: a target may hold it, so it is revoked
        /// only after a later rotation put its successor on every target.
        case pending
        /// On every target and verified: the rotation's token.
        case current
        /// Replaced on every target by a verified successor: safe to revoke, and to be revoked.
        case superseded
        case revoked
    }

    public var tokenID: String
    public var rotationID: String
    public var origin: Origin
    public var name: String?
    public var fingerprint: String?
    public var expiresAt: Date?
    public var serial: Int
    public var runID: String
    public var status: Status
    public var createdAt: Date
    public var revokedAt: Date?

    enum CodingKeys: String, CodingKey {
        case tokenID = "token_id"
        case rotationID = "rotation_id"
        case origin
        case name
        case fingerprint
        case expiresAt = "expires_at"
        case serial
        case runID = "run_id"
        case status
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
    }
}
