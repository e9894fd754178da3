import Foundation

/// Runs the real `envshed-rotator` binary, as systemd or a person would, and captures what it
/// printed. The binary is the one `swift build` put beside this test bundle, or
/// `$ENVSHED_ROTATOR_BINARY`.
struct RotatorProcess {
    struct Result {
        var exitCode: Int32
        var stdout: String
        var stderr: String

        var all: String { stdout + "\n" + stderr }
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
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try out.close()
        try err.close()
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
        return Result(exitCode: process.terminationStatus, stdout: stdout, stderr: stderr)
    }
}
