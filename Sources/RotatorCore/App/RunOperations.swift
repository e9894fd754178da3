import Foundation
import Logging

/// What every `run` and `rotate` does around its rotations (SPEC §6): audit records of its start
/// and end (each step is recorded by `RunJournal`), notifications, and the metrics file. None of
/// it can change the run's exit code: a notification or a metrics file that cannot be written is
/// logged and recorded, and the run's result stands.
struct RunOperations: Sendable {
    let runID: String
    let command: String
    let plan: Plan
    let directory: String
    let environment: RotatorEnvironment
    let audit: AuditTrail
    let notifier: Notifier
    let rotate: RotateContext?
    /// For the expiry of adopted tokens that no run has recorded yet (metrics only).
    let envshed: EnvshedClient?
    private let startedAt: ContinuousClock.Instant

    init(plan: Plan, directory: String, environment: RotatorEnvironment, runID: String, command: String, envshed: EnvshedClient?, rotate: RotateContext? = nil) {
        self.runID = runID
        self.command = command
        self.plan = plan
        self.directory = directory
        self.environment = environment
        self.rotate = rotate
        self.envshed = envshed
        let audit = AuditTrail(directory: directory, logger: environment.logger, now: environment.now)
        self.audit = audit
        self.notifier = Notifier(plan: plan, environment: environment, audit: audit)
        self.startedAt = .now
    }

    var metricsPath: String {
        plan.metricsFile ?? directory + "/" + MetricsFile.defaultFileName
    }

    /// The run's first audit record: who, what, and for `rotate` why.
    func started(rotations: [String]) {
        var fields: [String: (any Sendable)?] = [
            "run_id": runID, "command": command, "rotations": rotations, "pid": Int(getpid()), "user": InvokingUser.name(environment.variables),
        ]
        if let rotate { fields.merge(rotate.auditFields) { _, new in new } }
        audit.append("run_started", fields)
    }

    /// The run ended with outcomes: audit record, notifications, metrics.
    func finished(outcomes: [RotationOutcome], exit: ExitStatus, store: SQLiteStateStore) async {
        let rotated = outcomes.filter { if case .rotated = $0.result { true } else { false } }.map(\.rotationID)
        audit.append("run_finished", [
            "run_id": runID, "command": command, "exit_code": Int(exit.rawValue), "rotated": rotated,
            "failed": outcomes.filter { $0.failure != nil }.map(\.rotationID),
            "revocation_errors": outcomes.flatMap(\.revocationErrors),
            "duration_ms": Int(startedAt.duration(to: .now).milliseconds), "rotation": rotate?.rotationID,
        ])
        let events = NotificationEvent.events(
            runID: runID, command: command, outcomes: outcomes, plan: plan, exit: exit, now: environment.now(), rotate: rotate
        )
        await notifier.send(events)
        await writeMetrics(MetricsFile.increments(outcomes), exit: exit, store: store)
    }

    /// The run stopped before or between rotations (`RunAbort`, a broken journal).
    /// - Parameter provider: the provider whose failure stopped it, for the failure counter (nil:
    ///   the state, not a provider).
    func aborted(_ result: OperationResult, store: SQLiteStateStore, provider: String? = "envshed") async {
        let message = result.messages.joined(separator: "; ")
        audit.append("run_finished", [
            "run_id": runID, "command": command, "exit_code": Int(result.exit.rawValue), "detail": message,
            "duration_ms": Int(startedAt.duration(to: .now).milliseconds), "rotation": rotate?.rotationID,
        ])
        await notifier.send([NotificationEvent.aborted(runID: runID, command: command, message: message, plan: plan)])
        await writeMetrics(MetricsFile.increments([], abortedBy: provider), exit: result.exit, store: store)
    }

    private func writeMetrics(_ increments: [String: [String: Int]], exit: ExitStatus, store: SQLiteStateStore) async {
        let logger = environment.logger
        do {
            let counters = try MetricsCounterStore(directory: directory).add(increments)
            let file = MetricsFile(
                finishedAt: environment.now(), success: exit == .success, exitCode: exit.rawValue,
                duration: startedAt.duration(to: .now), expiries: await expiries(store), counters: counters
            )
            try file.write(to: metricsPath)
        } catch {
            logger.error("metrics: cannot write \(metricsPath): \(error); the run's result is unchanged")
            audit.append("metrics", ["run_id": runID, "outcome": StepOutcome.failed.rawValue, "detail": "cannot write \(metricsPath): \(error)"])
        }
    }

    /// Each rotation's token expiry: from the state, else the plan's `adopt.expires_at`, else
    /// Envshed's token list (adopted tokens before their first rotation).
    private func expiries(_ store: SQLiteStateStore) async -> [String: Date] {
        let records = Dictionary(((try? store.rotations()) ?? []).map { ($0.rotationID, $0) }, uniquingKeysWith: { first, _ in first })
        var expiries: [String: Date] = [:]
        var missing: [Rotation] = []
        for rotation in plan.rotations {
            if let record = records[rotation.id], record.tokenID != nil {
                if let expiresAt = record.expiresAt { expiries[rotation.id] = expiresAt }
            } else if let expiresAt = rotation.adopt?.expiresAt {
                expiries[rotation.id] = expiresAt
            } else if rotation.adopt != nil {
                missing.append(rotation)
            }
        }
        if !missing.isEmpty, let envshed, let tokens = try? await envshed.listTokens(logger: environment.logger) {
            let live = Dictionary(tokens.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            for rotation in missing {
                if let id = rotation.adopt?.tokenID, let expiresAt = live[id]?.expiresAt { expiries[rotation.id] = expiresAt }
            }
        }
        return expiries
    }
}

/// Who ran the command: `$SUDO_USER` (the person behind `sudo`), else `$USER`, else the account
/// of the process's user id.
enum InvokingUser {
    static func name(_ variables: [String: String]) -> String {
        for key in ["SUDO_USER", "USER"] {
            if let value = variables[key], !value.isEmpty { return value }
        }
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name {
            return String(cString: name)
        }
        return "uid \(getuid())"
    }
}
