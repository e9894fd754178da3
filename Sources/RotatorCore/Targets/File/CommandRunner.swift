import Foundation

/// Runs a file target's `then:` command after the write: directly, without a shell (no quoting,
/// globbing or `$` expansion), with a minimal environment (the bot's credentials stay out of it),
/// no input, and a deadline. At the deadline the command's whole process group gets SIGTERM, and
/// SIGKILL once `killGrace` has passed: a command that ignores SIGTERM, or a child it left
/// behind, cannot keep the run (and its lock) waiting.
struct CommandRunner: Sendable {
    /// Where a bare program name (`systemctl`) is looked up; also the child's `PATH`.
    var searchPath: String
    var timeout: Duration
    /// How long a command has between SIGTERM and SIGKILL, as systemd's `TimeoutStopSec` gives a
    /// service; 10 s unless a test needs less.
    var killGrace: Duration
    /// How much of the command's stderr an error may quote.
    static let stderrLimit = 300

    init(
        searchPath: String = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", timeout: Duration = .seconds(60),
        killGrace: Duration = .seconds(10)
    ) {
        self.searchPath = searchPath
        self.timeout = timeout
        self.killGrace = killGrace
    }

    /// - Throws: `CommandFailure` when the program cannot be started, exits non-zero, is killed by
    ///   a signal, or outlives the deadline.
    func run(_ command: [String]) async throws(CommandFailure) {
        guard let program = command.first else { throw CommandFailure(command: command, reason: "the command is empty") }
        guard let executable = resolve(program) else {
            throw CommandFailure(command: command, reason: "no executable '\(program)' in \(program.contains("/") ? "that path" : searchPath)")
        }
        // stderr goes to an unlinked temporary file rather than a pipe: nothing can block on a full
        // pipe or on a grandchild that keeps it open, and nothing is left on disk.
        let stderrPath = NSTemporaryDirectory() + "/envshed-rotator-then-\(UUID().uuidString)"
        let stderrDescriptor = open(stderrPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard stderrDescriptor >= 0 else { throw CommandFailure(command: command, reason: "cannot create a file for its stderr") }
        unlink(stderrPath)
        defer { close(stderrDescriptor) }

        guard let child = SpawnedCommand.start(
            executable, arguments: Array(command.dropFirst()), environment: ["PATH": searchPath, "LANG": "C.UTF-8"], stderr: stderrDescriptor
        ) else {
            throw CommandFailure(command: command, reason: "cannot start \(executable): \(String(cString: strerror(errno)))")
        }
        // Detached: a cancelled rotation still stops, kills and reaps its command.
        let (ending, stop) = await Task.detached { [timeout, killGrace] in
            await Self.supervise(child, timeout: timeout, killGrace: killGrace)
        }.value

        lseek(stderrDescriptor, 0, SEEK_SET)
        var buffer = [UInt8](repeating: 0, count: Self.stderrLimit * 4)
        let count = read(stderrDescriptor, &buffer, buffer.count)
        let errorText = String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self)
        switch (stop, ending) {
        case (.terminated, _):
            throw CommandFailure(
                command: command, reason: "did not finish within \(Self.seconds(timeout)) and was stopped with SIGTERM", stderr: errorText
            )
        case (.killed, _):
            throw CommandFailure(
                command: command,
                reason: "did not finish within \(Self.seconds(timeout)), ignored SIGTERM for \(Self.seconds(killGrace)) and was killed with SIGKILL",
                stderr: errorText
            )
        case (nil, .signalled(let signal)):
            throw CommandFailure(command: command, reason: "was killed by signal \(signal)", stderr: errorText)
        case (nil, .exited(let status)) where status != 0:
            throw CommandFailure(command: command, reason: "exited with status \(status)", stderr: errorText)
        case (nil, .exited):
            return
        }
    }

    /// How the deadline ended a command, if it did.
    enum Stop: Sendable {
        case terminated
        case killed
    }

    /// Waits for the command; at the deadline SIGTERM to its group, after the grace SIGKILL. Once
    /// stopped, the group gets SIGKILL in any case before the leader is reaped, so that nothing the
    /// command started survives it (the group id stays valid until the reap).
    private static func supervise(_ child: SpawnedCommand, timeout: Duration, killGrace: Duration) async -> (SpawnedCommand.Ending, Stop?) {
        if await child.waitForEnd(until: .now + timeout) {
            return (child.reap(), nil)
        }
        child.signalGroup(SIGTERM)
        let stop: Stop = await child.waitForEnd(until: .now + killGrace) ? .terminated : .killed
        child.signalGroup(SIGKILL)
        // SIGKILL takes effect at once unless the process is stuck in the kernel (a dead NFS
        // mount); then it is left unreaped rather than holding the run.
        if await child.waitForEnd(until: .now + .seconds(5)) { _ = child.reap() }
        return (.signalled(SIGKILL), stop)
    }

    /// `60 s`, `0.5 s`.
    private static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let tenths = attoseconds / 100_000_000_000_000_000
        return tenths == 0 ? "\(seconds) s" : "\(seconds).\(tenths) s"
    }

    private func resolve(_ program: String) -> String? {
        if program.contains("/") {
            return FileManager.default.isExecutableFile(atPath: program) ? program : nil
        }
        for directory in searchPath.split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
