/// The plan cannot be used. Carries every problem found, so one `validate` shows them all.
public enum PlanError: Error, CustomStringConvertible, Sendable {
    case unreadable(path: String, reason: String)
    case invalid(diagnostics: [PlanDiagnostic])

    public var diagnostics: [PlanDiagnostic] {
        switch self {
        case .unreadable: []
        case .invalid(let diagnostics): diagnostics
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "\(path): cannot read the plan: \(reason)"
        case .invalid(let diagnostics):
            let errors = diagnostics.filter { $0.severity == .error }.count
            let lines = diagnostics.map(\.description)
            return (lines + ["\(errors) error\(errors == 1 ? "" : "s") in the plan; nothing was changed"]).joined(separator: "\n")
        }
    }
}
