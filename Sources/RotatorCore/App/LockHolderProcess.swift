import Foundation

/// The process named in the lock's holder record, for `rotate --preempt`. A signal goes only to a
/// live envshed-rotator process other than this one: a record can name a process that has since
/// ended (a run that has just taken the lock writes its record a moment later), and its PID may
/// have been reused by something else.
enum LockHolderProcess {
    enum Stop: Equatable {
        case signalled(Int32)
        case refused(String)
    }

    /// Sends SIGTERM to `pid` when it is another running envshed-rotator.
    static func askToStop(pid: Int32?) -> Stop {
        guard let pid, pid > 1 else { return .refused("the lock's holder record names no process") }
        guard pid != getpid() else { return .refused("the lock's holder record names this process") }
        guard isRotator(pid) else {
            return .refused("pid \(pid) is not an envshed-rotator process (the record may be a moment old); not signalling it")
        }
        guard kill(pid, SIGTERM) == 0 else {
            return .refused("could not signal pid \(pid): \(String(cString: strerror(errno)))")
        }
        return .signalled(pid)
    }

    /// True when `pid` runs the same executable as this process, or one named envshed-rotator.
    static func isRotator(_ pid: Int32) -> Bool {
        let theirs = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
        let ours = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        if let theirs, let ours, theirs == ours { return true }
        guard let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let argument0 = command.split(separator: 0, omittingEmptySubsequences: false).first.map { String(decoding: $0, as: UTF8.self) } ?? ""
        return URL(fileURLWithPath: argument0).lastPathComponent == "envshed-rotator"
    }
}
