import Foundation
import GRDB

/// One invocation that could change something (`run`, `rotate`).
public struct RunRecord: Codable, Sendable, Hashable {

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

extension RunRecord: StateRow {
    static let table = "run"
    static let columns = ["run_id", "command", "started_at", "finished_at", "exit_code", "pid"]

    var arguments: StatementArguments {
        [runID, command, Timestamp.database(startedAt), finishedAt.map(Timestamp.database), exitCode, pid]
    }

    init(row: Row) throws {
        runID = try row.decode(String.self, forColumn: "run_id")
        command = try row.decode(String.self, forColumn: "command")
        startedAt = try row.decode(Date.self, forColumn: "started_at")
        finishedAt = try row.decode(Date?.self, forColumn: "finished_at")
        exitCode = try row.decode(Int?.self, forColumn: "exit_code")
        pid = try row.decode(Int.self, forColumn: "pid")
    }
}
