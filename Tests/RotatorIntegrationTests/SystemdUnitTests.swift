import Foundation
import RotatorEmulators
import Testing

/// The shipped units: `systemd-analyze verify` is clean on both, and `systemd-analyze security
/// --offline=yes` rates the service's exposure at 2.0 or lower (SPEC §7).
@Suite("systemd units", .enabled(if: SystemdTools.analyze != nil || SystemdTools.required), .timeLimit(.minutes(5)))
struct SystemdUnitTests {
    static let maximumExposure = 2.0

    static var unitDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("systemd")
    }

    /// The units copied to a scratch folder, ExecStart= pointing at a copy of the built binary
    /// (verify wants the program to exist; the shipped unit keeps /usr/local/bin/envshed-rotator).
    static func scratchCopy() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("units-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let binary = folder.appendingPathComponent("envshed-rotator")
        try FileManager.default.copyItem(at: RotatorProcess.binary, to: binary)
        for name in ["envshed-rotator.service", "envshed-rotator.timer", "envshed-rotator-failure@.service"] {
            var text = try String(contentsOf: unitDirectory.appendingPathComponent(name), encoding: .utf8)
            if name == "envshed-rotator.service" {
                #expect(text.contains("ExecStart=/usr/local/bin/envshed-rotator run "), "the shipped unit runs the installed binary")
                text = text.replacingOccurrences(of: "ExecStart=/usr/local/bin/envshed-rotator", with: "ExecStart=\(binary.path)")
            }
            try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return folder
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        let analyze = try #require(SystemdTools.analyze, "systemd-analyze is not installed (Debian: apt-get install systemd)")
        process.executableURL = URL(fileURLWithPath: analyze)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SYSTEMD_LOG_COLOR"] = "0"
        environment["SYSTEMD_COLORS"] = "0"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let deadline = ToolDeadline(process)
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        deadline.disarm()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    @Test("systemd-analyze verify: both units load without a warning")
    func verify() throws {
        let folder = try Self.scratchCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let units = ["envshed-rotator.service", "envshed-rotator.timer", "envshed-rotator-failure@.service"]
        let result = try Self.run(["verify"] + units.map { folder.appendingPathComponent($0).path })
        #expect(result.status == 0, "\(result.output)")
        // verify exits 0 on some problems (an invalid line is only "ignored"): nothing about our units may be printed.
        let ours = result.output.split(separator: "\n").filter { $0.contains("envshed-rotator") }
        #expect(ours.isEmpty, "systemd-analyze verify complained:\n\(result.output)")
    }

    @Test("the service starts the shipped failure unit on every failure")
    func onFailure() throws {
        let service = try String(contentsOf: Self.unitDirectory.appendingPathComponent("envshed-rotator.service"), encoding: .utf8)
        #expect(service.contains("\nOnFailure=envshed-rotator-failure@%n.service\n"))
        #expect(FileManager.default.fileExists(atPath: Self.unitDirectory.appendingPathComponent("envshed-rotator-failure@.service").path))
    }

    @Test("systemd-analyze security --offline=yes: exposure at most 2.0", arguments: ["envshed-rotator.service", "envshed-rotator-failure@.service"])
    func exposure(_ unit: String) throws {
        let folder = try Self.scratchCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let service = folder.appendingPathComponent(unit).path
        // --threshold counts tenths: 20 is an exposure of 2.0.
        let result = try Self.run(["security", "--offline=yes", "--threshold=\(Int(Self.maximumExposure * 10))", service])
        let line = try #require(result.output.split(separator: "\n").first { $0.contains("Overall exposure level") }, "\(result.output)")
        // "→ Overall exposure level for envshed-rotator.service: 1.1 OK 🙂"
        let number = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }, "\(line)")
        #expect(number <= Self.maximumExposure, "exposure \(number): \(line)")
        #expect(result.status == 0, "systemd-analyze security --threshold failed:\n\(result.output)")
    }
}

/// Where `systemd-analyze` is, and whether its absence fails the suite (CI) or skips it.
enum SystemdTools {
    static let analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first { FileManager.default.isExecutableFile(atPath: $0) }
    /// CI sets this so that a missing tool fails instead of skipping.
    static let required = ProcessInfo.processInfo.environment["ENVSHED_ROTATOR_REQUIRE_TOOLS"] != nil
}
