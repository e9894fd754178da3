import Foundation

extension Rotator {
    /// One place `run` writes on this host and whether the user that will run it can.
    struct HostCheck {
        var purpose: String
        var path: String
        var problem: String?

        var json: [String: Any] { ["purpose": purpose, "path": path, "problem": JSONOutput.optional(problem)] }
    }

    /// Every place `run` writes: the state directory, the metrics file and each file target,
    /// checked for `access` (the user that will run the plan).
    func hostChecks(_ plan: Plan, as access: WriteAccess) -> [HostCheck] {
        let directory = environment.stateDirectory(for: plan)
        var checks = [HostCheck(purpose: "state directory", path: directory, problem: access.problem(creatingIn: directory, mayCreateDirectory: true))]
        let metrics = plan.metricsFile ?? directory + "/" + MetricsFile.defaultFileName
        let metricsDirectory = URL(fileURLWithPath: metrics).deletingLastPathComponent().path
        checks.append(HostCheck(
            purpose: "metrics file", path: metrics,
            problem: access.problem(creatingIn: metricsDirectory, mayCreateDirectory: plan.metricsFile == nil)
        ))
        var seen = Set<String>()
        for rotation in plan.rotations {
            for target in rotation.targets {
                guard case .file(let file) = target.kind, seen.insert(file.path).inserted else { continue }
                let parent = URL(fileURLWithPath: file.path).deletingLastPathComponent().path
                checks.append(HostCheck(purpose: "file target of \(rotation.id)", path: file.path, problem: access.problem(creatingIn: parent)))
            }
        }
        return checks
    }
}
