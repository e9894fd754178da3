/// `envshed-rotator-bench [--rotations N] [--targets T] [--latency-ms MS] [--concurrency C]
/// [--max-concurrent M] [--writes-per-minute W] [--rss-rotations N] [--large-plan N] [--rotator PATH]
/// [--baseline PATH] [--callgrind N]`
struct BenchmarkOptions {
    var rotations = 200
    var targets = 3
    var latencyMilliseconds = 20
    var concurrency = 16
    /// Per provider host. High enough that the ideal is latency-bound, not budget-bound.
    var maxConcurrent = 64
    var writesPerMinute = 100_000
    var rssRotations = 1_000
    var largePlanRotations = 5_000
    var rotatorPath: String?
    /// Another build (an earlier commit, another transport) measured in the same run, for a before/after.
    var baselinePath: String?
    /// Rotations of the smaller of the two runs counted by callgrind (0: skip the count).
    var callgrindRotations = 20
    /// Targets of the one token the emergency measurement rotates; 0 skips it.
    var emergencyTargets = 10
    /// Only the emergency measurement (the on-call's number), nothing else.
    var emergencyOnly = false

    static let usage = """
        usage: envshed-rotator-bench [--rotations N] [--targets T] [--latency-ms MS] [--concurrency C]
                                     [--max-concurrent M] [--writes-per-minute W] [--rss-rotations N]
                                     [--large-plan N] [--rotator PATH] [--baseline PATH] [--callgrind N]
                                     [--emergency-targets N] [--emergency-only]
        Defaults: 200 rotations x 3 targets (GitHub and GitLab mixed), 20 ms per request, concurrency 16,
        64 requests in flight and 100000 writes/min per host (so latency, not the budget, is the bound),
        RSS measured at 1000 rotations, validate/plan timed on a 5000-rotation plan. --baseline
        measures a second binary (another commit's build) the same way in the same run.
        --callgrind N counts the instructions of runs of N and 2N rotations under valgrind's callgrind
        (default 20; 0 skips it; $VALGRIND names the valgrind, 3.20 or later: scripts/valgrind-fetch).
        The emergency measurement (rotate --emergency --revoke-old first of one token with 10
        targets at 60 writes/min) times confirmation → old token revoked and → every target verified.
        Run it with scripts/bench (release build).
        """

    init(arguments: [String]) throws {
        var remaining = arguments[...]
        func value(_ flag: String) throws -> Int {
            guard let text = remaining.popFirst(), let number = Int(text), number >= 0 else {
                throw BenchmarkError("\(flag) needs a whole number\n\(Self.usage)")
            }
            return number
        }
        while let flag = remaining.popFirst() {
            switch flag {
            case "--rotations": rotations = max(try value(flag), 1)
            case "--targets": targets = max(try value(flag), 1)
            case "--latency-ms": latencyMilliseconds = try value(flag)
            case "--concurrency": concurrency = max(try value(flag), 1)
            case "--max-concurrent": maxConcurrent = max(try value(flag), 1)
            case "--writes-per-minute": writesPerMinute = max(try value(flag), 1)
            case "--rss-rotations": rssRotations = try value(flag)
            case "--large-plan": largePlanRotations = try value(flag)
            case "--rotator": rotatorPath = remaining.popFirst()
            case "--baseline": baselinePath = remaining.popFirst()
            case "--callgrind": callgrindRotations = try value(flag)
            case "--emergency-targets": emergencyTargets = try value(flag)
            case "--emergency-only": emergencyOnly = true
            case "-h", "--help": throw BenchmarkError(Self.usage)
            default: throw BenchmarkError("unknown option \(flag)\n\(Self.usage)")
            }
        }
    }
}
