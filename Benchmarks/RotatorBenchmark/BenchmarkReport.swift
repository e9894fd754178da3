import Foundation

enum BenchmarkReport {
    static func printRun(_ title: String, _ figures: RunFigures) {
        let complete = figures.allRotated && figures.liveOldTokens == 0
        print("\(title): \(figures.rotations) rotations, exit \(figures.exitCode)\(complete ? ", all rotated, every old token revoked" : ", NOT complete: \(figures.liveOldTokens) old tokens still live")")
        print(String(format: "  wall time            %8.3f s", figures.wall))
        print(String(format: "  ideal                %8.3f s  (latency bound %.3f s, write-budget bound %.3f s)", figures.ideal, figures.latencyBound, figures.budgetBound))
        print(String(format: "  wall / ideal         %8.2f", figures.wall / figures.ideal))
        print(String(format: "  requests / rotation  %8.2f   (minimum %d + one token list per run)", figures.requestsPerRotation, figures.minimumRequestsPerRotation))
        print(String(format: "  tool CPU / rotation  %8.2f ms  (the rotator process, from wait4)", figures.cpuPerRotation * 1_000))
        print(String(format: "  emulator CPU / rot.  %8.2f ms  (this process's getrusage over the run)", figures.emulatorCPUPerRotation * 1_000))
        print(String(format: "  CPU floor            %8.3f s  (rotator and emulator CPU over %d cores; wall / floor %.2f)", figures.cpuFloor, figures.cores, figures.wall / figures.cpuFloor))
        print(String(format: "  peak RSS             %8.1f MiB", Double(figures.peakRSSBytes) / 1_048_576))
        print("  budget violations    \(figures.violations.isEmpty ? "none" : figures.violations.joined(separator: "; "))\n")
    }
}
