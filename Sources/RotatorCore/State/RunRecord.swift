import Foundation
import GRDB

/// One invocation that could change something (`run`, `rotate`).
public struct RunRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "run"

    public var runID: String
    public var command: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var exitCode: Int?
    public var pid: Int

    enum CodingKeys: String, CodingKey {
        case runID = "run_id"
        case command
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case exitCode = "exit_code"
        case pid
    }
}
