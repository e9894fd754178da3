import Foundation
import GRDB

/// One step of a run, journaled when it starts and when it ends (SPEC §6 step names).
public struct StepRecord: Codable, Sendable, Hashable {

    public var id: Int64?
    public var runID: String
    public var rotationID: String
    public var step: Step
    public var target: String?
    public var tokenID: String?
    public var outcome: StepOutcome
    public var durationMS: Int64?
    public var detail: String?
    public var at: Date

    public init(
        runID: String, rotationID: String, step: Step, target: String? = nil, tokenID: String? = nil,
        outcome: StepOutcome, durationMS: Int64? = nil, detail: String? = nil, at: Date = Date()
    ) {
        self.runID = runID
        self.rotationID = rotationID
        self.step = step
        self.target = target
        self.tokenID = tokenID
        self.outcome = outcome
        self.durationMS = durationMS
        self.detail = detail
        self.at = at
    }

    enum CodingKeys: String, CodingKey {
        case id
        case runID = "run_id"
        case rotationID = "rotation_id"
        case step
        case target
        case tokenID = "token_id"
        case outcome
        case durationMS = "duration_ms"
        case detail
        case at
    }

}

public enum Step: String, Codable, Sendable, DatabaseValueConvertible {
    case plan
    case create
    case push
    case verify
    case revoke
    case rollback
    case done
}

public enum StepOutcome: String, Codable, Sendable, DatabaseValueConvertible {
    case started
    case ok
    case failed
    case skipped
}

extension StepRecord: StateRow {
    static let table = "step"
    static let columns = ["id", "run_id", "rotation_id", "step", "target", "token_id", "outcome", "duration_ms", "detail", "at"]

    var arguments: StatementArguments {
        [id, runID, rotationID, step, target, tokenID, outcome, durationMS, detail, Timestamp.database(at)]
    }

    init(row: Row) throws {
        id = try row.decode(Int64?.self, forColumn: "id")
        runID = try row.decode(String.self, forColumn: "run_id")
        rotationID = try row.decode(String.self, forColumn: "rotation_id")
        step = try row.decode(Step.self, forColumn: "step")
        target = try row.decode(String?.self, forColumn: "target")
        tokenID = try row.decode(String?.self, forColumn: "token_id")
        outcome = try row.decode(StepOutcome.self, forColumn: "outcome")
        durationMS = try row.decode(Int64?.self, forColumn: "duration_ms")
        detail = try row.decode(String?.self, forColumn: "detail")
        at = try row.decode(Date.self, forColumn: "at")
    }
}
