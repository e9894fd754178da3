import Foundation

/// Runs a file target's `then:` command after the write: directly, without a shell (no quoting,
/// globbing or `$` expansion), with a minimal environment (the bot's credentials stay out of it),
/// no input, and a deadline.
struct CommandRunner: Sendable {
    /// Where a bare program name (`systemctl`) is looked up; also the child's `PATH`.
    var searchPath: String
    var timeout: Duration
    /// How much of the command's stderr an error may quote.
    static let stderrLimit = 300

    init(searchPath: String = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", timeout: Duration = .seconds(60)) {
        self.searchPath = searchPath
        self.timeout = timeout
    }

    /// - Throws: `CommandFailure` when the program cannot be started, exits non-zero, is killed by
    ///   a signal, or outlives the deadline.
    func run(_ command: [String]) async throws(CommandFailure) {
        guard let program = command.first else { throw CommandFailure(command: command, reason: "the command is empty") }
        guard let executable = resolve(program) else {
            throw CommandFailure(command: command, reason: "no executable '\(program)' in \(program.contains("/") ? "that path" : searchPath)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(command.dropFirst())
        process.environment = ["PATH": searchPath, "LANG": "C.UTF-8"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        // stderr goes to an unlinked temporary file rather than a pipe: nothing can block on a full
        // pipe or on a grandchild that keeps it open, and nothing is left on disk.
        let stderrPath = NSTemporaryDirectory() + "/envshed-rotator-then-\(UUID().uuidString)"
        let stderrDescriptor = open(stderrPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard stderrDescriptor >= 0 else { throw CommandFailure(command: command, reason: "cannot create a file for its stderr") }
        unlink(stderrPath)
        let stderrHandle = FileHandle(fileDescriptor: stderrDescriptor, closeOnDealloc: true)
        process.standardError = stderrHandle
        let box = ProcessBox(process)
        let started = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            process.terminationHandler = { _ in continuation.resume(returning: true) }
            do {
                try process.run()
                box.startWatchdog(after: timeout)
            } catch {
                process.terminationHandler = nil
                continuation.resume(returning: false)
            }
        }
        box.stopWatchdog()
        lseek(stderrDescriptor, 0, SEEK_SET)
        var buffer = [UInt8](repeating: 0, count: Self.stderrLimit * 4)
        let count = read(stderrDescriptor, &buffer, buffer.count)
        let errorText = String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self)
        guard started else {
            throw CommandFailure(command: command, reason: "cannot start \(executable)")
        }
        if box.timedOut {
            throw CommandFailure(command: command, reason: "did not finish within \(timeout) and was stopped", stderr: errorText)
        }
        if process.terminationReason == .uncaughtSignal {
            throw CommandFailure(command: command, reason: "was killed by signal \(process.terminationStatus)", stderr: errorText)
        }
        guard process.terminationStatus == 0 else {
            throw CommandFailure(command: command, reason: "exited with status \(process.terminationStatus)", stderr: errorText)
        }
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

/// The child process and its deadline: stopped with SIGTERM when it outlives `timeout`.
private final class ProcessBox: @unchecked Sendable {
    private let lock = NSLock()
    private let process: Process
    private var watchdog: Task<Void, Never>?
    private var expired = false

    init(_ process: Process) {
        self.process = process
    }

    func startWatchdog(after timeout: Duration) {
        let task = Task { [self] in
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            expire()
        }
        lock.withLock { watchdog = task }
    }

    private func expire() {
        lock.withLock {
            if process.isRunning {
                expired = true
                process.terminate()
            }
        }
    }

    func stopWatchdog() {
        lock.withLock { watchdog?.cancel() }
    }

    var timedOut: Bool {
        lock.withLock { expired }
    }
}

/// A `then:` command failed. Its stderr is cut and scrubbed of anything token-shaped.
struct CommandFailure: Error, CustomStringConvertible, Sendable {
    var command: [String]
    var reason: String
    var stderr: String = ""

    var description: String {
        var text = "`\(command.joined(separator: " "))` \(reason)"
        let trimmed = stderr.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n", with: " ")
        if !trimmed.isEmpty {
            let cut = trimmed.count > CommandRunner.stderrLimit ? String(trimmed.prefix(CommandRunner.stderrLimit)) + "…" : trimmed
            text += "; stderr: \(Redactor.scrub(cut))"
        }
        return Redactor.scrub(text)
    }
}
