import Foundation
import Logging

/// Records each step twice — in the state before it runs and after it ends — and logs one line
/// (and one audit record) per finished step with the SPEC §6 keys. The step rows are the run's
/// history for a person with `sqlite3`; what a later run reads to recover from an interrupted one
/// are the token and target records the executor keeps (`docs/crash-safety.md`).
public struct RunJournal: Sendable {
    public let runID: String
    private let store: any StateStore
    private let logger: Logger
    /// Every step line also becomes an audit record (nil: no audit trail, as in unit tests).
    private let audit: AuditTrail?

    public init(runID: String, store: any StateStore, logger: Logger, audit: AuditTrail? = nil) {
        self.runID = runID
        self.store = store
        self.audit = audit
        var logger = logger
        logger[metadataKey: LogKeys.runID] = "\(runID)"
        self.logger = logger
    }

    /// Journals the start of a step and returns the clock reading to time it with.
    public func begin(
        _ step: Step, rotation: String, target: String? = nil, tokenID: String? = nil, detail: String? = nil
    ) throws(StateError) -> ContinuousClock.Instant {
        try store.append(StepRecord(runID: runID, rotationID: rotation, step: step, target: target, tokenID: tokenID, outcome: .started, detail: detail))
        return .now
    }

    /// Journals and logs the end of a step.
    public func end(
        _ step: Step, rotation: String, target: String? = nil, tokenID: String? = nil, outcome: StepOutcome,
        since started: ContinuousClock.Instant? = nil, durationMS: Int64? = nil, detail: String? = nil
    ) throws(StateError) {
        let duration = durationMS ?? started.map { $0.duration(to: .now).milliseconds }
        let safeDetail = detail.map(Redactor.scrub)
        try store.append(StepRecord(
            runID: runID, rotationID: rotation, step: step, target: target, tokenID: tokenID,
            outcome: outcome, durationMS: duration, detail: safeDetail
        ))
        log(step, rotation: rotation, target: target, tokenID: tokenID, outcome: outcome, durationMS: duration, detail: safeDetail)
    }

    /// A log line without a journal entry, for decisions (`plan` step of `run`).
    public func log(
        _ step: Step, rotation: String, target: String? = nil, tokenID: String? = nil, outcome: StepOutcome,
        durationMS: Int64? = nil, detail: String? = nil
    ) {
        var metadata: Logger.Metadata = [
            LogKeys.rotation: "\(rotation)",
            LogKeys.step: "\(step.rawValue)",
            LogKeys.outcome: "\(outcome.rawValue)",
        ]
        if let target { metadata[LogKeys.target] = "\(target)" }
        if let tokenID { metadata[LogKeys.tokenID] = "\(tokenID)" }
        if let durationMS { metadata[LogKeys.durationMS] = "\(durationMS)" }
        let level: Logger.Level = outcome == .failed ? .error : .info
        logger.log(level: level, "\(detail ?? "")", metadata: metadata)
        audit?.append(step == .plan ? "decision" : "step", [
            "run_id": runID, "rotation": rotation, "step": step.rawValue, "target": target, "token_id": tokenID,
            "outcome": outcome.rawValue, "duration_ms": durationMS, "detail": detail,
        ])
    }

    public var baseLogger: Logger { logger }
}
