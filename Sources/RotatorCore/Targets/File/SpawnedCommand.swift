import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `then:` command started with `posix_spawn`, leader of its own process group, so that a
/// deadline can stop it together with everything it started.
///
/// The child gets default dispositions for every signal and an empty signal mask: an ignored
/// signal (SIGPIPE, which Swift programs commonly ignore) and a blocked one are inherited across
/// `exec`, and a `systemctl` or shell script that cannot die of SIGPIPE or SIGTERM would outlive
/// its deadline. Only stdin (`/dev/null`), stdout (`/dev/null`) and stderr (a file) are open in
/// it: no pipe that a grandchild could keep open, and (glibc 2.34 or later) no descriptor of
/// the bot (the state database, the lock) even if one lacked close-on-exec.
struct SpawnedCommand: Sendable {
    let pid: pid_t

    /// How the process ended, decoded from `waitpid`'s status.
    enum Ending: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
    }

    /// - Returns: nil with `errno` set when the program cannot be started.
    static func start(_ executable: String, arguments: [String], environment: [String: String], stderr: Int32) -> SpawnedCommand? {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var everySignal = sigset_t()
        sigfillset(&everySignal)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        var noSignal = sigset_t()
        sigemptyset(&noSignal)
        posix_spawnattr_setsigmask(&attributes, &noSignal)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        if let closeFrom = Self.closeFrom { _ = closeFrom(&actions, 3) }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            errno = result
            return nil
        }
        return SpawnedCommand(pid: pid)
    }

    /// glibc 2.34's `posix_spawn_file_actions_addclosefrom_np`, which Swift's Glibc module does not
    /// export; looked up at run time, and skipped on an older glibc (the bot opens its own
    /// descriptors close-on-exec, so this is a second line of defence).
    private static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// Sends `signal` to the whole process group. Safe until `reap()`: the group's id is the
    /// leader's pid, which the kernel does not reuse while the leader is unreaped.
    func signalGroup(_ signal: Int32) {
        kill(-pid, signal)
    }

    /// Whether the leader has ended, without reaping it.
    var hasEnded: Bool {
        var info = siginfo_t()
        return waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_signo == SIGCHLD
    }

    /// Waits (polling, never blocking a thread of the pool) until the leader ends or `deadline`
    /// passes. - Returns: whether it ended.
    func waitForEnd(until deadline: ContinuousClock.Instant) async -> Bool {
        var pause = Duration.milliseconds(2)
        while !hasEnded {
            let now = ContinuousClock.now
            guard now < deadline else { return false }
            try? await Task.sleep(until: min(now + pause, deadline))
            pause = min(pause * 2, .milliseconds(50))
        }
        return true
    }

    /// Collects the ended leader's status; call once, after `waitForEnd` said it ended.
    func reap() -> Ending {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // <sys/wait.h>'s WIFEXITED, WEXITSTATUS and WTERMSIG are macros Swift cannot import.
        let signal = status & 0x7F
        return signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
    }
}
