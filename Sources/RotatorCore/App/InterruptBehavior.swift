/// What SIGINT (Ctrl-C) and SIGTERM do at this moment of a command.
public enum InterruptBehavior: Sendable {
    /// Nothing has been changed yet (the blast radius, the prompt, the lock wait): end the process
    /// at once with this status, after saying this line. The lock, if taken, dies with it.
    case exitNow(ExitStatus, String)
    /// The run writes: finish the step in flight, journal it, start nothing new (crash-safety.md).
    case finishStep
}
