import Foundation

/// Instructions the rotator executes, counted by `valgrind --tool=callgrind`: a figure that does
/// not move with the machine's load, to compare commits by. Two runs, of `rotations` and of twice
/// as many, give the marginal cost of one rotation (their difference) apart from the fixed cost of
/// starting, loading the plan and listing tokens once.
struct CallgrindCount {
    var valgrind: String
    var rotations: Int

    struct Figures {
        var perRotation: Double
        var fixed: Double
        var version: String
    }

    /// The valgrind to use: `$VALGRIND`, else the first on `$PATH`. Debian 12's 3.19 crashes on the
    /// Swift 6.3 runtime; `scripts/valgrind-fetch` unpacks a newer one that does not.
    static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let path = environment["VALGRIND"], !path.isEmpty { return path }
        let directories = (environment["PATH"] ?? "/usr/bin").split(separator: ":")
        return directories.map { "\($0)/valgrind" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    func measure(_ rotator: String, world: (Int) async throws -> BenchmarkWorld) async throws -> Figures {
        let small = try await instructions(rotator, world: try await world(rotations))
        let large = try await instructions(rotator, world: try await world(rotations * 2))
        let perRotation = Double(large - small) / Double(rotations)
        return Figures(perRotation: perRotation, fixed: Double(small) - perRotation * Double(rotations), version: version())
    }

    /// One `run` under callgrind; the total of instructions executed (`summary:` line of its output).
    private func instructions(_ rotator: String, world: BenchmarkWorld) async throws -> Int {
        let output = world.directory + "/callgrind.out"
        defer { try? FileManager.default.removeItem(atPath: output) }
        // A valgrind unpacked outside its configured prefix finds its tools through VALGRIND_LIB.
        var environment = world.environment
        environment["VALGRIND_LIB"] = ProcessInfo.processInfo.environment["VALGRIND_LIB"]
        let measured: ChildProcess.Measurement
        do {
            measured = try ChildProcess.run(
                valgrind,
                ["--tool=callgrind", "--callgrind-out-file=\(output)", rotator, "run", "--config", world.planPath, "--log-format", "json"],
                environment: environment, directory: world.directory
            )
        } catch {
            await world.stop()
            throw error
        }
        await world.stop()
        guard measured.exitCode == 0, measured.stdout.contains("\(world.rotations) rotated") else {
            throw BenchmarkError("the run under callgrind did not rotate all \(world.rotations) (exit \(measured.exitCode)); is \(valgrind) new enough for the Swift runtime (3.19 is not)?")
        }
        let text = try String(contentsOfFile: output, encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("summary:") }),
              let count = Int(line.dropFirst("summary:".count).trimmingCharacters(in: .whitespaces)) else {
            throw BenchmarkError("no summary line in \(output)")
        }
        return count
    }

    private func version() -> String {
        let pipe = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: valgrind)
        process.arguments = ["--version"]
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return "unknown" }
        process.waitUntilExit()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
