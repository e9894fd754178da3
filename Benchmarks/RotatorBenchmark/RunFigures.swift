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
    /// CPU the benchmark process (the emulators, answering) spent during the run, per rotation.
    var emulatorCPUPerRotation: Double
    var cores: Int
    var peakRSSBytes: Int
    var violations: [String]
    /// Old tokens the run left live (a correct run revokes every one: no grace period here).
    var liveOldTokens: Int

    /// No schedule can beat this on this machine: the rotator's and the emulators' CPU time spread
    /// over every core. When it is above the ideal, the run is CPU-bound here, not latency-bound.
    var cpuFloor: Double {
        (cpuPerRotation + emulatorCPUPerRotation) * Double(rotations) / Double(cores)
    }
}
