/// Whether loading a plan checks it against this machine (a file target's directory exists, its
/// `owner:` names a user here). `validate --offline` turns them off: a plan checked on a CI
/// runner is for another host, and those checks belong to the host that runs it (`plan`).
public enum PlanHostChecks {
    @TaskLocal public static var enabled = true
}
