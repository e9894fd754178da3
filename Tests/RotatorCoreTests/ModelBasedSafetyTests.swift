import Foundation
import Testing

/// Issue 10's model-based test over whole runs: seeded plans of 2–6 rotations sharing hosts,
/// repositories, a GitLab project, one Kubernetes Secret and a folder of files, run in-process
/// against the emulators under random faults, kills at request N, and lost or restored state
/// directories (`ModelCase`). After every run: no target holds a revoked token, only declared
/// writes and no deletion, no secret in any output or file; after two clean runs, convergence
/// (`ModelChecks`).
///
/// `ENVSHED_MBT_CASES=N` runs seeds 1…N (default 300); `ENVSHED_MBT_SEED=S` replays one case.
@Suite(.timeLimit(.minutes(30)))
struct ModelBasedSafetyTests {
    static let defaultCases = 300
    /// Cases in flight at once: each has four emulators and its own state directory.
    static let parallelCases = 4

    static var seeds: [UInt64] {
        let environment = ProcessInfo.processInfo.environment
        if let seed = environment["ENVSHED_MBT_SEED"].flatMap(UInt64.init) { return [seed] }
        let count = environment["ENVSHED_MBT_CASES"].flatMap(Int.init) ?? defaultCases
        return (1...UInt64(max(count, 1))).map { $0 }
    }

    @Test("Whole runs under faults, kills and lost state never leave a target holding a revoked token, and converge")
    func wholeRunsKeepEveryPipelineWorking() async {
        let seeds = Self.seeds
        let started = ContinuousClock.now
        var found: [String] = []
        await withTaskGroup(of: String?.self) { group in
            var next = 0
            func startNext() {
                guard next < seeds.count else { return }
                let seed = seeds[next]
                next += 1
                group.addTask { await ModelCaseRunner.play(ModelCase(seed: seed)) }
            }
            for _ in 0..<Self.parallelCases { startNext() }
            while let report = await group.next() {
                if let report { found.append(report) }
                startNext()
            }
        }
        for report in found { Issue.record(Comment(rawValue: report)) }
        print("model-based safety test: \(seeds.count) cases, \(found.count) failed, in \(started.duration(to: .now))")
    }
}
