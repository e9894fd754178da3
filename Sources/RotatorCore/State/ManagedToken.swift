import Foundation
import GRDB

/// A token the bot is responsible for revoking: one it created (journaled as soon as Envshed
/// answered) or the adopted one it replaced. A later run revokes it once no target can hold it.
public struct ManagedToken: Codable, Sendable, Hashable {

    public enum Origin: String, Codable, Sendable, DatabaseValueConvertible {
        case created
        case adopted
    }

    public enum Status: String, Codable, Sendable, DatabaseValueConvertible {
        /// Created, never promoted: left by a failed or interrupted attempt. Revoked as soon as no
        /// declared target may hold it.
        case pending
        /// On every target and verified: the rotation's token.
        case current
        /// Was current; replaced by a verified successor. Revoked once no target may hold it and
        /// its grace period is over.
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
    /// Not revoked before this time (the rotation's grace period after promotion).
    public var revokeAfter: Date?
    public var revokedAt: Date?

    public init(
        tokenID: String, rotationID: String, origin: Origin, name: String?, fingerprint: String?, expiresAt: Date?,
        serial: Int, runID: String, status: Status, createdAt: Date, revokeAfter: Date? = nil, revokedAt: Date? = nil
    ) {
        self.tokenID = tokenID
        self.rotationID = rotationID
        self.origin = origin
        self.name = name
        self.fingerprint = fingerprint
        self.expiresAt = expiresAt
        self.serial = serial
        self.runID = runID
        self.status = status
        self.createdAt = createdAt
        self.revokeAfter = revokeAfter
        self.revokedAt = revokedAt
    }

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
        case revokeAfter = "revoke_after"
        case revokedAt = "revoked_at"
    }
}

extension ManagedToken: StateRow {
    static let table = "managed_token"
    static let columns = ["token_id", "rotation_id", "origin", "name", "fingerprint", "expires_at", "serial", "run_id", "status", "created_at", "revoke_after", "revoked_at"]

    var arguments: StatementArguments {
        [tokenID, rotationID, origin, name, fingerprint, expiresAt.map(Timestamp.database), serial, runID, status, Timestamp.database(createdAt), revokeAfter.map(Timestamp.database), revokedAt.map(Timestamp.database)]
    }

    init(row: Row) throws {
        tokenID = try row.decode(String.self, forColumn: "token_id")
        rotationID = try row.decode(String.self, forColumn: "rotation_id")
        origin = try row.decode(Origin.self, forColumn: "origin")
        name = try row.decode(String?.self, forColumn: "name")
        fingerprint = try row.decode(String?.self, forColumn: "fingerprint")
        expiresAt = try row.decode(Date?.self, forColumn: "expires_at")
        serial = try row.decode(Int.self, forColumn: "serial")
        runID = try row.decode(String.self, forColumn: "run_id")
        status = try row.decode(Status.self, forColumn: "status")
        createdAt = try row.decode(Date.self, forColumn: "created_at")
        revokeAfter = try row.decode(Date?.self, forColumn: "revoke_after")
        revokedAt = try row.decode(Date?.self, forColumn: "revoked_at")
    }
}
