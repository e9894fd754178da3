import Foundation
import GRDB

/// One step of a run, journaled when it starts and when it ends (SPEC §6 step names).
public struct StepRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "step"

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

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
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
