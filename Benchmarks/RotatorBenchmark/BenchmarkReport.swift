import Foundation

/// What one measured run produced.
struct RunFigures {
    var rotations: Int
    var exitCode: Int32
    var allRotated: Bool
    var wall: Double
    var ideal: Double
    var latencyBound: Double
    var budgetBound: Double
    var requestsPerRotation: Double
    var minimumRequestsPerRotation: Int
    var cpuPerRotation: Double
    var peakRSSBytes: Int
    var violations: [String]
}

enum BenchmarkReport {
    static func printRun(_ title: String, _ figures: RunFigures) {
        print("\(title): \(figures.rotations) rotations, exit \(figures.exitCode)\(figures.allRotated ? ", all rotated" : ", NOT all rotated")")
        print(String(format: "  wall time            %8.3f s", figures.wall))
        print(String(format: "  ideal                %8.3f s  (latency bound %.3f s, write-budget bound %.3f s)", figures.ideal, figures.latencyBound, figures.budgetBound))
        print(String(format: "  wall / ideal         %8.2f", figures.wall / figures.ideal))
        print(String(format: "  requests / rotation  %8.2f   (minimum %d + one token list per run)", figures.requestsPerRotation, figures.minimumRequestsPerRotation))
        print(String(format: "  CPU / rotation       %8.2f ms", figures.cpuPerRotation * 1_000))
        print(String(format: "  peak RSS             %8.1f MiB", Double(figures.peakRSSBytes) / 1_048_576))
        print("  budget violations    \(figures.violations.isEmpty ? "none" : figures.violations.joined(separator: "; "))\n")
    }
}
