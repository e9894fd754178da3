extension Rotator {
    /// `plan --rbac`: the Kubernetes Roles the plan's (or the `--only` rotations') targets need,
    /// as YAML on stdout. Offline: reads the plan only, resolves no credential, sends nothing.
    public func rbac(only: [String]) -> OperationResult {
        switch loadPlan().flatMap({ plan in select(plan, only: only).map { (plan, $0) } }) {
        case .failure(let failure):
            return failure.result
        case .success(let (plan, rotations)):
            let rbac = KubernetesRBAC(targets: rotations.flatMap(\.targets))
            return OperationResult(exit: .success, output: rbac.yaml(), messages: plan.warnings.map(\.description))
        }
    }
}
