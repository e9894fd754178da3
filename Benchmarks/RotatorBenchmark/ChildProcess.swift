import Foundation

/// Runs the rotator binary as a child and measures it alone: wall time, CPU time and peak RSS
/// from `wait4`'s resource usage (the emulators' work in this process is not counted).
struct ChildProcess {
    struct Measurement {
        var exitCode: Int32
        var wall: Duration
        var cpuSeconds: Double
        var peakRSSBytes: Int
        var stdout: String
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String], directory: String) throws -> Measurement {
        let outPath = directory + "/stdout-\(UUID().uuidString)"
        let errPath = directory + "/stderr-\(UUID().uuidString)"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        let started = ContinuousClock.now
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else { throw BenchmarkError("cannot start \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let wall = started.duration(to: .now)
        let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        if exitCode != 0, let stderr = try? String(contentsOfFile: errPath, encoding: .utf8) {
            FileHandle.standardError.write(Data("--- rotator stderr (last lines) ---\n\(stderr.split(separator: "\n").suffix(15).joined(separator: "\n"))\n".utf8))
        }
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
        return Measurement(exitCode: exitCode, wall: wall, cpuSeconds: cpu, peakRSSBytes: Int(usage.ru_maxrss) * 1024, stdout: stdout)
    }

    /// The CPU time (user and system) this process has used: the emulators' share of a run.
    static func ownCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
}
