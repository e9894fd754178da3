import Foundation
import GRDB

/// What the state knows of one rotation: the token currently in use (id, name, fingerprint,
/// expiry — never its value), how many times it rotated, and how the last attempt ended.
public struct RotationRecord: Codable, Sendable, Hashable {

    public var rotationID: String
    /// nil until the rotation has a token (no adoption and no successful rotation yet).
    public var tokenID: String?
    public var tokenName: String?
    /// nil for an adopted token: the bot never saw its value.
    public var fingerprint: String?
    public var expiresAt: Date?
    /// Completed rotations; the token the bot created last carries this serial in its description.
    public var serial: Int
    /// true while the current token is the adopted one, which the first rotation revokes.
    public var adopted: Bool
    public var lastResult: RotationResult?
    public var lastError: String?
    public var lastRunAt: Date?
    public var rotatedAt: Date?

    public init(
        rotationID: String, tokenID: String?, tokenName: String?, fingerprint: String?, expiresAt: Date?, serial: Int,
        adopted: Bool, lastResult: RotationResult?, lastError: String?, lastRunAt: Date?, rotatedAt: Date?
    ) {
        self.rotationID = rotationID
        self.tokenID = tokenID
        self.tokenName = tokenName
        self.fingerprint = fingerprint
        self.expiresAt = expiresAt
        self.serial = serial
        self.adopted = adopted
        self.lastResult = lastResult
        self.lastError = lastError
        self.lastRunAt = lastRunAt
        self.rotatedAt = rotatedAt
    }

    enum CodingKeys: String, CodingKey {
        case rotationID = "rotation_id"
        case tokenID = "token_id"
        case tokenName = "token_name"
        case fingerprint
        case expiresAt = "expires_at"
        case serial
        case adopted
        case lastResult = "last_result"
        case lastError = "last_error"
        case lastRunAt = "last_run_at"
        case rotatedAt = "rotated_at"
    }
}

/// How a rotation's last attempt ended, as `status` shows it.
public enum RotationResult: String, Codable, Sendable, DatabaseValueConvertible {
    case rotated
    case failed
    /// New token live on some targets, old token still valid: the next run finishes the job.
    case needsAttention = "needs_attention"
}

extension RotationRecord: StateRow {
    static let table = "rotation"
    static let columns = ["rotation_id", "token_id", "token_name", "fingerprint", "expires_at", "serial", "adopted", "last_result", "last_error", "last_run_at", "rotated_at"]

    var arguments: StatementArguments {
        [rotationID, tokenID, tokenName, fingerprint, expiresAt.map(Timestamp.database), serial, adopted, lastResult, lastError, lastRunAt.map(Timestamp.database), rotatedAt.map(Timestamp.database)]
    }

    init(row: Row) throws {
        rotationID = try row.decode(String.self, forColumn: "rotation_id")
        tokenID = try row.decode(String?.self, forColumn: "token_id")
        tokenName = try row.decode(String?.self, forColumn: "token_name")
        fingerprint = try row.decode(String?.self, forColumn: "fingerprint")
        expiresAt = try row.decode(Date?.self, forColumn: "expires_at")
        serial = try row.decode(Int.self, forColumn: "serial")
        adopted = try row.decode(Bool.self, forColumn: "adopted")
        lastResult = try row.decode(RotationResult?.self, forColumn: "last_result")
        lastError = try row.decode(String?.self, forColumn: "last_error")
        lastRunAt = try row.decode(Date?.self, forColumn: "last_run_at")
        rotatedAt = try row.decode(Date?.self, forColumn: "rotated_at")
    }
}
