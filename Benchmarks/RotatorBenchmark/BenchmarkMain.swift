import Foundation

/// The benchmark: the real `envshed-rotator run` against latency-injected emulators, its wall
/// time against the ideal measured in the same run, the sequential baseline, and the cost of
/// `validate` and `plan` on a large plan. Run it with `scripts/bench` (release build).
@main
struct BenchmarkMain {
    static func main() async {
        do {
            let options = try BenchmarkOptions(arguments: Array(CommandLine.arguments.dropFirst()))
            try await run(options)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            exit(1)
        }
    }

    static func run(_ options: BenchmarkOptions) async throws {
        let rotator = try rotatorBinary(options)
        let latency = Duration.milliseconds(options.latencyMilliseconds)
        print("envshed-rotator benchmark — binary \(rotator)")
        print("\(options.rotations) rotations × \(options.targets) targets (GitHub and GitLab), \(options.latencyMilliseconds) ms per request, per-host budget \(options.maxConcurrent) in flight / \(options.writesPerMinute) writes per minute\n")

        if options.emergencyTargets > 0 {
            let emergency = try await EmergencyMeasurement.measure(rotator, targets: options.emergencyTargets, latency: latency, options: options, emergency: true)
            EmergencyMeasurement.printFigures(
                "emergency rotate (--emergency --revoke-old first), 1 token × \(options.emergencyTargets) targets, 60 writes/min", emergency,
                targets: options.emergencyTargets
            )
            let normal = try await EmergencyMeasurement.measure(rotator, targets: options.emergencyTargets, latency: latency, options: options, emergency: false)
            EmergencyMeasurement.printFigures("the same rotate without --emergency (paced, revoke after verify)", normal, targets: options.emergencyTargets)
            if options.emergencyOnly { return }
        }
        if let baseline = options.baselinePath {
            let figures = try await measureRun(baseline, rotations: options.rotations, concurrency: options.concurrency, latency: latency, options: options)
            BenchmarkReport.printRun("baseline \(baseline), concurrency \(options.concurrency)", figures)
        }
        let concurrent = try await measureRun(rotator, rotations: options.rotations, concurrency: options.concurrency, latency: latency, options: options)
        let sequential = try await measureRun(rotator, rotations: options.rotations, concurrency: 1, latency: latency, options: options)
        BenchmarkReport.printRun("concurrency \(options.concurrency)", concurrent)
        BenchmarkReport.printRun("sequential (concurrency 1)", sequential)
        print(String(format: "speed-up over sequential: %.1f×\n", sequential.wall / concurrent.wall))

        if options.rssRotations > 0 {
            let large = try await measureRun(rotator, rotations: options.rssRotations, concurrency: options.concurrency, latency: latency, options: options)
            BenchmarkReport.printRun("\(options.rssRotations) rotations, concurrency \(options.concurrency)", large)
        }
        if options.largePlanRotations > 0 {
            try await measureLargePlan(rotator, rotations: options.largePlanRotations, latency: latency, options: options)
        }
        if options.callgrindRotations > 0 {
            try await countInstructions(rotator, baseline: options.baselinePath, latency: latency, options: options)
        }
    }

    /// Instructions per rotation under callgrind, for this build and the baseline: the comparison
    /// between commits that the machine's load does not blur.
    static func countInstructions(_ rotator: String, baseline: String?, latency: Duration, options: BenchmarkOptions) async throws {
        guard let valgrind = CallgrindCount.locate() else {
            print("instructions: skipped, no valgrind on $PATH and $VALGRIND unset (scripts/valgrind-fetch)")
            return
        }
        let count = CallgrindCount(valgrind: valgrind, rotations: options.callgrindRotations)
        let world: (Int) async throws -> BenchmarkWorld = { rotations in
            let world = try BenchmarkWorld(rotations: rotations, targets: options.targets, concurrency: options.concurrency, options: options)
            try await world.start(latency: latency)
            try world.writePlan()
            return world
        }
        for (name, binary) in [("baseline", baseline), ("this build", rotator)] {
            guard let binary else { continue }
            let figures = try await count.measure(binary, world: world)
            print("instructions (callgrind, runs of \(options.callgrindRotations) and \(options.callgrindRotations * 2) rotations), \(name):")
            print(String(format: "  per rotation         %8.2f M", figures.perRotation / 1e6))
            print(String(format: "  fixed (start, plan, token list) %8.1f M   [%@]", figures.fixed / 1e6, figures.version))
        }
    }

    /// One `run` in a fresh world; returns what it measured and what the ideal was.
    static func measureRun(
        _ rotator: String, rotations: Int, concurrency: Int, latency: Duration, options: BenchmarkOptions
    ) async throws -> RunFigures {
        let world = try BenchmarkWorld(rotations: rotations, targets: options.targets, concurrency: concurrency, options: options)
        try await world.start(latency: latency)
        try world.writePlan()
        let measured: ChildProcess.Measurement
        let emulatorCPUBefore = ChildProcess.ownCPUSeconds()
        do {
            measured = try ChildProcess.run(
                rotator, ["run", "--config", world.planPath, "--log-format", "json"], environment: world.environment, directory: world.directory
            )
        } catch {
            await world.stop()
            throw error
        }
        let emulatorCPU = ChildProcess.ownCPUSeconds() - emulatorCPUBefore
        let latencySeconds = Double(latency.components.seconds) + Double(latency.components.attoseconds) / 1e18
        let waves = Double((rotations + concurrency - 1) / concurrency)
        let latencyBound = latencySeconds * (1 + Double(world.criticalPathRoundTrips) * waves)
        let writesPerHost = Double(rotations * max(world.githubTargetsPerRotation, world.gitlabTargetsPerRotation))
        let budgetBound = writesPerHost / (Double(options.writesPerMinute) / 60)
        let figures = RunFigures(
            rotations: rotations, exitCode: measured.exitCode, allRotated: measured.stdout.contains("\(rotations) rotated"),
            wall: seconds(measured.wall), ideal: max(latencyBound, budgetBound), latencyBound: latencyBound, budgetBound: budgetBound,
            requestsPerRotation: Double(world.totalRequests) / Double(rotations), minimumRequestsPerRotation: world.minimumRequestsPerRotation,
            cpuPerRotation: measured.cpuSeconds / Double(rotations), emulatorCPUPerRotation: emulatorCPU / Double(rotations),
            cores: ProcessInfo.processInfo.activeProcessorCount, peakRSSBytes: measured.peakRSSBytes, violations: world.violations(),
            liveOldTokens: world.liveOldTokens
        )
        await world.stop()
        return figures
    }

    /// `validate` (offline) and `plan` (one token list) on a plan of `rotations` rotations, each
    /// run three times: the best and the median wall time (a shared machine's speed varies).
    static func measureLargePlan(_ rotator: String, rotations: Int, latency: Duration, options: BenchmarkOptions) async throws {
        let world = try BenchmarkWorld(rotations: rotations, targets: options.targets, concurrency: options.concurrency, options: options)
        try await world.start(latency: latency)
        try world.writePlan()
        let size = (try? FileManager.default.attributesOfItem(atPath: world.planPath)[.size] as? Int) ?? 0
        var runs: [(name: String, measurements: [ChildProcess.Measurement])] = []
        for (name, arguments) in [("validate", ["validate", "--config", world.planPath]), ("plan", ["plan", "--json", "--config", world.planPath])] {
            var measurements: [ChildProcess.Measurement] = []
            for _ in 0..<3 {
                measurements.append(try ChildProcess.run(rotator, arguments, environment: world.environment, directory: world.directory))
            }
            runs.append((name, measurements))
        }
        await world.stop()
        print("plan of \(rotations) rotations (\(size / 1024) KiB), 3 runs each:")
        for (name, measurements) in runs {
            let walls = measurements.map { seconds($0.wall) }.sorted()
            let peak = measurements.map(\.peakRSSBytes).max() ?? 0
            let exits = Set(measurements.map(\.exitCode)).sorted().map(String.init).joined(separator: ",")
            print(String(format: "  %@ best %.3f s, median %.3f s wall; peak RSS %.1f MiB; exit %@", name.padding(toLength: 9, withPad: " ", startingAt: 0), walls[0], walls[1], Double(peak) / 1_048_576, exits))
        }
    }

    static func rotatorBinary(_ options: BenchmarkOptions) throws -> String {
        if let path = options.rotatorPath { return path }
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("envshed-rotator").path
        guard FileManager.default.isExecutableFile(atPath: beside) else {
            throw BenchmarkError("no envshed-rotator beside the benchmark (\(beside)); build both with `swift build -c release` or run scripts/bench")
        }
        return beside
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
