/// The exit codes of SPEC §3, which scripts and systemd's `SuccessExitStatus=`/`OnFailure=` read.
public enum ExitStatus: Int32, Sendable, Comparable {
    /// Everything due was rotated, or nothing was due.
    case success = 0
    /// At least one rotation failed; old tokens left valid.
    case failure = 1
    /// A token expires within its warning window and could not be rotated: page someone.
    case expiringSoon = 3
    /// Usage or plan error (EX_USAGE); nothing was touched.
    case usage = 64
    /// Another run holds the lock (EX_TEMPFAIL); systemd may retry.
    case locked = 75

    /// Which of two outcomes a run reports: the more urgent one.
    private var severity: Int {
        switch self {
        case .success: 0
        case .failure: 1
        case .expiringSoon: 2
        case .locked: 3
        case .usage: 4
        }
    }

    public static func < (lhs: ExitStatus, rhs: ExitStatus) -> Bool { lhs.severity < rhs.severity }
}
