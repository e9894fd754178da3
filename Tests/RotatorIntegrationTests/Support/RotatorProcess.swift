import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Runs the real `envshed-rotator` binary, as systemd or a person would, and captures what it
/// printed. The binary is the one `swift build` put beside this test bundle, or
/// `$ENVSHED_ROTATOR_BINARY`.
struct RotatorProcess {
    struct Result: Sendable {
        var exitCode: Int32
        /// The bytes printed, exactly (the leak scan reads these: decoding could lose some).
        var stdoutBytes: Data
        var stderrBytes: Data
        /// The same, decoded for reading; an invalid UTF-8 sequence becomes U+FFFD.
        var stdout: String { String(decoding: stdoutBytes, as: UTF8.self) }
        var stderr: String { String(decoding: stderrBytes, as: UTF8.self) }

        var all: String { stdout + "\n" + stderr }

        /// stderr as a person reads it: each JSON line (`--log-format json`) replaced by its `msg`.
        var stderrMessages: String {
            stderr.split(separator: "\n").map { line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let message = object["msg"] as? String
                else { return String(line) }
                return message
            }.joined(separator: "\n")
        }
    }

    static let binary: URL = {
        if let explicit = ProcessInfo.processInfo.environment["ENVSHED_ROTATOR_BINARY"] {
            return URL(fileURLWithPath: explicit)
        }
        var candidates: [URL] = []
        if let bundle = Bundle.main.executableURL {
            candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("envshed-rotator"))
        }
        let argument0 = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        candidates.append(argument0.deletingLastPathComponent().appendingPathComponent("envshed-rotator"))
        // …/debug/envshed-rotatorPackageTests.xctest/… on some layouts: walk up to the build folder.
        var directory = argument0.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("envshed-rotator"))
            directory = directory.deletingLastPathComponent()
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug/envshed-rotator"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[candidates.count - 1]
    }()

    /// Runs the binary with `arguments` in `directory`, with only the given environment (plus PATH),
    /// so nothing from the developer's shell leaks in.
    static func run(_ arguments: [String], environment: [String: String], in directory: String) async throws -> Result {
        let running = try start(arguments, environment: environment, in: directory)
        return try await running.wait()
    }

    /// Starts the binary and returns at once; `Running.pid` lets a test signal it.
    /// - Parameter journal: stdout and stderr go to one file and `$JOURNAL_STREAM` names it, as
    ///   under systemd (`StandardOutput=journal`); the lines are then in `stderr`, prefixes and all.
    /// - Parameter stdin: bytes the process reads on stdin (else /dev/null).
    static func start(
        _ arguments: [String], environment: [String: String], in directory: String, journal: Bool = false, stdin: Data? = nil
    ) throws -> Running {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var variables = environment
        variables["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        process.environment = variables
        let outPath = directory + "/.stdout-\(UUID().uuidString)"
        let errPath = directory + "/.stderr-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let out = journal ? err : try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        if journal {
            // Device and inode of the stderr file, as `stat` gives them (FileManager: no C struct,
            // whose members MemberImportVisibility ties to a module this target does not import).
            let info = try FileManager.default.attributesOfItem(atPath: errPath)
            guard let device = (info[.systemNumber] as? NSNumber)?.uint64Value,
                  let inode = (info[.systemFileNumber] as? NSNumber)?.uint64Value
            else { throw CocoaError(.fileNoSuchFile) }
            variables["JOURNAL_STREAM"] = "\(device):\(inode)"
            process.environment = variables
        }
        process.standardOutput = out
        process.standardError = err
        if let stdin {
            let inPath = directory + "/.stdin-\(UUID().uuidString)"
            FileManager.default.createFile(atPath: inPath, contents: stdin, attributes: [.posixPermissions: 0o600])
            process.standardInput = FileHandle(forReadingAtPath: inPath)
            // The open handle keeps the bytes readable; the name goes at once.
            try? FileManager.default.removeItem(atPath: inPath)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        let exited = Exited()
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        return Running(process: process, exited: exited, outPath: outPath, errPath: errPath, out: out, err: err)
    }

    /// How long a test lets one run of the binary take before killing it and failing.
    static let deadline: Duration = .seconds(120)

    final class Running: @unchecked Sendable {
        let process: Process
        fileprivate let exited: Exited
        private let outPath: String
        private let errPath: String
        private let out: FileHandle
        private let err: FileHandle
        private let completions = Mutex<[@Sendable (Result) -> Void]>([])

        fileprivate init(process: Process, exited: Exited, outPath: String, errPath: String, out: FileHandle, err: FileHandle) {
            self.process = process
            self.exited = exited
            self.outPath = outPath
            self.errPath = errPath
            self.out = out
            self.err = err
        }

        var pid: Int32 { process.processIdentifier }

        /// Calls `body` with the result once the process has been waited for.
        func onFinish(_ body: @escaping @Sendable (Result) -> Void) {
            completions.withLock { $0.append(body) }
        }

        /// Waits for the process to exit. Past `deadline` it is killed (SIGKILL) and `wait` throws
        /// `RotatorProcessTimeout` with everything it printed, which fails the test.
        func wait(deadline: Duration = RotatorProcess.deadline) async throws -> Result {
            let exitedInTime = await withTaskGroup(of: Bool.self) { group in
                group.addTask { [exited] in
                    await exited.wait()
                    return true
                }
                group.addTask {
                    try? await Task.sleep(for: deadline)
                    return false
                }
                let first = await group.next() ?? true
                if !first { kill(process.processIdentifier, SIGKILL) }
                group.cancelAll()
                return first
            }
            await exited.wait()
            try? out.close()
            try? err.close()
            let stdout = FileManager.default.contents(atPath: outPath) ?? Data()
            let stderr = FileManager.default.contents(atPath: errPath) ?? Data()
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
            let result = Result(exitCode: process.terminationStatus, stdoutBytes: stdout, stderrBytes: stderr)
            for completion in completions.withLock({ $0 }) { completion(result) }
            guard exitedInTime else {
                throw RotatorProcessTimeout(arguments: process.arguments ?? [], deadline: deadline, output: result.all)
            }
            return result
        }
    }
}

/// Becomes true once the process has exited; `wait` suspends until then.
final class Exited: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func signal() {
        lock.lock()
        done = true
        let pending = waiters
        waiters = []
        lock.unlock()
        for waiter in pending { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if done {
                lock.unlock()
                continuation.resume()
            } else {
                waiters.append(continuation)
                lock.unlock()
            }
        }
    }
}
