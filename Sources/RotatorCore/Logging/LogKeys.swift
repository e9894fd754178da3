/// Metadata keys of the step log lines (SPEC §6): scripts and journald queries depend on these names.
public enum LogKeys {
    public static let runID = "run_id"
    public static let rotation = "rotation"
    public static let step = "step"
    public static let target = "target"
    public static let tokenID = "token_id"
    public static let outcome = "outcome"
    public static let durationMS = "duration_ms"
    public static let detail = "detail"
}
