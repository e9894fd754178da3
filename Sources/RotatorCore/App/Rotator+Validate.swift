extension Rotator {
    /// `validate`: parse and check the plan offline. Problems go to stderr as `file:line:col: message`.
    /// - Parameter offline: skip the checks against this machine (file targets' directories and
    ///   owners), for a plan validated on a CI runner rather than on the host that runs it.
    public func validate(strict: Bool, offline: Bool = false) -> OperationResult {
        let loaded = PlanHostChecks.$enabled.withValue(!offline) { loadPlan(strict: strict) }
        switch loaded {
        case .failure(let failure):
            return failure.result
        case .success(let plan):
            let targets = plan.rotations.reduce(0) { $0 + $1.targets.count }
            let summary = "\(plan.path): OK — \(plan.rotations.count) rotation\(plan.rotations.count == 1 ? "" : "s"), \(targets) target\(targets == 1 ? "" : "s")"
                + (plan.warnings.isEmpty ? "" : ", \(plan.warnings.count) warning\(plan.warnings.count == 1 ? "" : "s")")
            return OperationResult(exit: .success, output: summary, messages: plan.warnings.map(\.description))
        }
    }
}
