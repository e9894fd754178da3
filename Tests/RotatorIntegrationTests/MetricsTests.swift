import Foundation
import RotatorEmulators
import Testing

/// The Prometheus text file written after every `run` and `rotate`.
@Suite("Metrics textfile (real binary, promtool)", .serialized, .timeLimit(.minutes(5)))
struct MetricsTests {
    static let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// `promtool check metrics < file`: the exit code and what it said.
    static func check(_ path: String) throws -> (status: Int32, output: String)? {
        guard let promtool else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = ["check", "metrics"]
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
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

    @Test("after run and rotate: promtool accepts the file; counters persist across runs; expiry per rotation")
    func textfile() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 5)
            let path = world.directory + "/textfile/envshed_rotator.prom"
            try FileManager.default.createDirectory(atPath: world.directory + "/textfile", withIntermediateDirectories: true)
            try world.writePlan(world.standardPlan(adoptProduction: old.id, extra: "metrics_file: \(path)"))
            let first = try await world.rotator(["run"])
            #expect(first.exitCode == 0, "\(first.all)")
            let text = try String(contentsOfFile: path, encoding: .utf8)
            for line in [
                "# TYPE envshed_rotator_last_run_timestamp_seconds gauge",
                "envshed_rotator_last_run_success 1",
                "# TYPE envshed_rotator_run_duration_seconds gauge",
                "# TYPE envshed_rotator_rotations_total counter",
                "envshed_rotator_rotations_total{outcome=\"rotated\"} 2",
                "envshed_rotator_rotations_total{outcome=\"failed\"} 0",
                "envshed_rotator_failures_total{provider=\"github\"} 0",
                "# HELP envshed_rotator_token_expiry_timestamp_seconds",
            ] {
                #expect(text.contains(line), "missing \(line) in:\n\(text)")
            }
            let expiry = try #require(text.split(separator: "\n").first { $0.hasPrefix("envshed_rotator_token_expiry_timestamp_seconds{rotation=\"api-production-ci\"}") })
            let seconds = try #require(Double(expiry.split(separator: " ").last.map(String.init) ?? ""))
            #expect(abs(seconds - Date().addingTimeInterval(30 * 86_400).timeIntervalSince1970) < 120, "the new token expires in 30 days")
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o644, "readable by node_exporter")
            if let check = try Self.check(path) {
                #expect(check.status == 0, "promtool check metrics: \(check.output)\n\(text)")
            }

            // A failing rotate: counters add up, success 0, the failing provider counted.
            world.github.inject(InjectedFault(method: "PUT", pathContains: "/environments/production/secrets/", status: 422))
            let failed = try await world.rotator(["rotate", "api-production-ci", "--reason", "test", "--yes"])
            #expect(failed.exitCode == 1, "\(failed.all)")
            let after = try String(contentsOfFile: path, encoding: .utf8)
            #expect(after.contains("envshed_rotator_last_run_success 0"))
            #expect(after.contains("envshed_rotator_last_run_exit_code 1"))
            #expect(after.contains("envshed_rotator_rotations_total{outcome=\"rotated\"} 2"))
            #expect(after.contains("envshed_rotator_rotations_total{outcome=\"needs_attention\"} 1"))
            #expect(after.contains("envshed_rotator_failures_total{provider=\"github\"} 1"))
            if let check = try Self.check(path) {
                #expect(check.status == 0, "promtool check metrics: \(check.output)\n\(after)")
            }
            // No temporary file left beside it.
            #expect(try FileManager.default.contentsOfDirectory(atPath: world.directory + "/textfile") == ["envshed_rotator.prom"])
        }
    }

    @Test("without metrics_file the file goes to the state directory")
    func defaultLocation() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 50)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            let text = try String(contentsOfFile: world.stateDirectory + "/envshed_rotator.prom", encoding: .utf8)
            // Not due, adopted: the expiry comes from Envshed's list.
            #expect(text.contains("envshed_rotator_token_expiry_timestamp_seconds{rotation=\"api-production-ci\"}"), "\(text)")
            #expect(text.contains("envshed_rotator_rotations_total{outcome=\"rotated\"} 1"), "web-staging-ci had no token: \(text)")
        }
    }

    @Test("the example alerting rules in docs/ load in promtool", .enabled(if: MetricsTests.promtool != nil))
    func alertRules() throws {
        let rules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/prometheus-alerts.yml")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.promtool))
        process.arguments = ["check", "rules", rules.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let deadline = ToolDeadline(process)
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        deadline.disarm()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.contains("SUCCESS: 5 rules found"), "\(output)")
    }

    @Test("promtool is installed where CI runs the suite", .enabled(if: ProcessInfo.processInfo.environment["ENVSHED_ROTATOR_REQUIRE_TOOLS"] != nil))
    func promtoolPresentInCI() {
        #expect(Self.promtool != nil, "install Debian's prometheus package (.ci/run does)")
    }
}
