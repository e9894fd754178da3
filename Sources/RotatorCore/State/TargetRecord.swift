import Foundation
import GRDB

/// The last verified write to one target: which token it holds and the provider's timestamp,
/// for `status` and, later, the drift report.
public struct TargetRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "target"

    public var rotationID: String
    public var identity: String
    public var label: String
    public var tokenID: String
    public var providerUpdatedAt: Date?
    public var writtenAt: Date

    enum CodingKeys: String, CodingKey {
        case rotationID = "rotation_id"
        case identity
        case label
        case tokenID = "token_id"
        case providerUpdatedAt = "provider_updated_at"
        case writtenAt = "written_at"
    }
}
