extension Rotator {
    /// `validate`: parse and check the plan offline. Problems go to stderr as `file:line:col: message`.
    public func validate(strict: Bool) -> OperationResult {
        switch loadPlan(strict: strict) {
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
