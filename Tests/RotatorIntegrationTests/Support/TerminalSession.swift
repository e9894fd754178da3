import Foundation
import Synchronization
import Testing

/// Runs the binary under a pseudo-terminal, as a person at a shell would: `script -qec CMD
/// /dev/null` (util-linux) gives it a tty on stdin, stdout and stderr. The test reads what the
/// terminal shows and types an answer when a prompt appears.
struct TerminalSession {
    struct Result {
        var exitCode: Int32
        /// Everything the terminal showed, with the typed answer echoed.
        var transcript: String
    }

    static let script = ["/usr/bin/script", "/bin/script"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs `arguments` and, once `prompt` appears on the terminal, types `answer` and Enter.
    static func run(
        _ arguments: [String], environment: [String: String], in directory: String, answering answer: String, after prompt: String,
        timeout: Duration = .seconds(60)
    ) async throws -> Result {
        let script = try #require(Self.script, "util-linux's script is not installed")
        let command = ([RotatorProcess.binary.path] + arguments).map(shellQuoted).joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: script)
        process.arguments = ["-qec", command, "/dev/null"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var variables = environment
        variables["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        variables["TERM"] = "dumb"
        process.environment = variables
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        let shown = Mutex(Data())
        output.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            shown.withLock { $0.append(chunk) }
        }
        let exited = Exited()
        process.terminationHandler = { _ in exited.signal() }
        try process.run()

        let deadline = ContinuousClock.now.advanced(by: timeout)
        var answered = false
        while ContinuousClock.now < deadline, process.isRunning {
            let text = shown.withLock { String(decoding: $0, as: UTF8.self) }
            if !answered && text.contains(prompt) {
                input.fileHandleForWriting.write(Data((answer + "\n").utf8))
                answered = true
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let timedOut = process.isRunning
        if timedOut { kill(process.processIdentifier, SIGKILL) }
        await exited.wait()
        try? input.fileHandleForWriting.close()
        output.fileHandleForReading.readabilityHandler = nil
        let rest = output.fileHandleForReading.readDataToEndOfFile()
        let transcript = shown.withLock { String(decoding: $0 + rest, as: UTF8.self) }
        if timedOut {
            Issue.record("\(command) did not exit within \(timeout) and was killed (SIGKILL); the terminal showed:\n\(transcript)")
        }
        return Result(exitCode: process.terminationStatus, transcript: transcript.replacingOccurrences(of: "\r\n", with: "\n"))
    }

    private static func shellQuoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
