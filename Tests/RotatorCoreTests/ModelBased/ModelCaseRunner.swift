import Foundation
import RotatorCore

/// Plays one model case: the faulty runs, with the state actions and kills the case asks for,
/// then two clean runs; checks the invariants after every run and convergence at the end.
/// Returns nil when everything held, else a report to replay the case from.
enum ModelCaseRunner {
    static func play(_ model: ModelCase) async -> String? {
        let world: ModelWorld
        do {
            world = try await ModelWorld.start(model)
        } catch {
            return "seed \(model.seed): cannot start the emulators: \(error)"
        }
        var journal: [String] = []
        var findings: [String] = []
        var present: Set<String> = []
        _ = ModelChecks.onlyDeclaredWrites(world, present: &present)
        var exempt: Set<String> = []
        var snapshots: [String] = []
        var outputs: [(name: String, bytes: Data)] = []

        func check(_ label: String, result: OperationResult, logPath: String) {
            outputs.append(("\(label): log", FileManager.default.contents(atPath: logPath) ?? Data()))
            outputs.append(("\(label): output and messages", Data((result.output + "\n" + result.messages.joined(separator: "\n")).utf8)))
            var found = world.takeMonitorFindings()
            found += ModelChecks.noTargetHoldsARevokedToken(world, exempt: exempt)
            found += ModelChecks.onlyDeclaredWrites(world, present: &present)
            found += ModelChecks.noSecretInOutput(world, outputs: outputs)
            findings += found.map { "after \(label): \($0)" }
        }

        for (index, run) in model.faultyRuns.enumerated() {
            switch run.stateBefore {
            case .keep: break
            case .lose: world.loseState()
            case .restore(let earlier): world.restoreState(from: snapshots[earlier])
            }
            world.clock.advance(by: Double(run.minutesBefore) * 60)
            let killSnapshot = world.directory + "/killed-\(index)"
            let transport = FaultTransport(
                world.network, seed: model.seed &+ UInt64(index) &* 7919, faultPerMille: run.faultPerMille, killAt: run.killAt,
                githubHost: world.githubHost, onKill: { [world] in world.killed(snapshot: killSnapshot) }
            )
            let label = "run \(index + 1) (\(run.command))"
            _ = world.takeMonitorFindings(allowingHeldRevocationOf: run.command.revokesHeldToken)
            let logPath = world.directory + "/logs/run-\(index + 1).log"
            let result = await world.execute(run.command, transport: transport, logPath: logPath)
            if transport.wasKilled { world.buryKilledRun(snapshot: killSnapshot) }
            if let id = run.command.revokesHeldToken { exempt.insert(id) }
            journal.append("\(label): exit \(result.exit.rawValue)\(transport.wasKilled ? " (killed)" : "") \(result.messages.joined(separator: " | "))")
            journal += transport.log.map { "    \($0)" }
            check(label, result: result, logPath: logPath)
            snapshots.append(world.directory + "/after-\(index)")
            world.snapshotState(to: snapshots[index])
        }

        // Faults stop. Every grace period of the case (at most 5 minutes) is over before each run.
        exempt = []
        var last: OperationResult?
        for clean in 1...2 {
            world.clock.advance(by: 6 * 60)
            let label = "clean run \(clean)"
            _ = world.takeMonitorFindings()
            let transport = FaultTransport(world.network, seed: 0, faultPerMille: 0, killAt: nil, githubHost: world.githubHost, onKill: {})
            let logPath = world.directory + "/logs/clean-\(clean).log"
            let result = await world.execute(.run, transport: transport, logPath: logPath)
            journal.append("\(label): exit \(result.exit.rawValue) \(result.messages.joined(separator: " | "))")
            check(label, result: result, logPath: logPath)
            last = result
        }
        if let last, last.exit != .success {
            findings.append("the second clean run exited \(last.exit.rawValue): \(last.messages.joined(separator: " | "))")
        }
        findings += ModelChecks.converged(world).map { "after the clean runs: \($0)" }

        let plan = world.planYAML
        let revocations = findings.isEmpty ? [] : revocationLines(world, findings: findings, runs: model.faultyRuns.count)
        await world.stop()
        guard !findings.isEmpty else { return nil }
        return """
            model-based safety test failed for seed \(model.seed)
            replay: ENVSHED_MBT_SEED=\(model.seed) swift test --filter ModelBasedSafetyTests
            \(model)
            findings:
            \(findings.map { "  - \($0)" }.joined(separator: "\n"))
            who revoked the tokens named above (from the runs' logs):
            \(revocations.map { "  \($0)" }.joined(separator: "\n"))
            runs and faults:
            \(journal.map { "  \($0)" }.joined(separator: "\n"))
            plan:
            \(plan)
            """
    }

    /// The log lines of the steps that revoked a token named in `findings`: which rotation did
    /// it, in which step and why, to tell one bug from another without replaying.
    static func revocationLines(_ world: ModelWorld, findings: [String], runs: Int) -> [String] {
        let ids = Set(findings.flatMap { line in
            line.split(separator: " ").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ",()")) }.filter { $0.count == 36 && $0.filter { $0 == "-" }.count == 4 }
        })
        let logs = (1...max(runs, 1)).map { ("run \($0)", "run-\($0).log") } + [("clean run 1", "clean-1.log"), ("clean run 2", "clean-2.log")]
        var lines: [String] = []
        for (label, file) in logs {
            guard let data = FileManager.default.contents(atPath: world.directory + "/logs/" + file) else { continue }
            for line in data.split(separator: UInt8(ascii: "\n")) {
                guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any],
                      let token = object[LogKeys.tokenID] as? String, ids.contains(token),
                      let step = object[LogKeys.step] as? String, step == "revoke" || step == "rollback" || step == "create"
                else { continue }
                lines.append("\(label): \(object[LogKeys.rotation] ?? "?") \(step) \(token) \(object[LogKeys.outcome] ?? ""): \(object["msg"] ?? "") \(object[LogKeys.detail] ?? "")")
            }
        }
        return lines
    }
}
