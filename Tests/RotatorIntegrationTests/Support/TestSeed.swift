import Foundation
import Testing

/// Where the integration tests' randomness comes from: `ROTATOR_TEST_SEED` when set (to replay a
/// failure), a fresh seed otherwise. The seed is printed, and a failing test names it.
enum TestSeed {
    static let variable = "ROTATOR_TEST_SEED"

    /// The seed for one test, mixed with `salt` so that parameterised cases differ.
    static func make(salt: UInt64 = 0, function: String = #function) -> UInt64 {
        let base = ProcessInfo.processInfo.environment[variable].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64(UInt32.max))
        let seed = base &+ salt
        print("\(function): seed \(base) (salt \(salt)); replay with \(variable)=\(base)")
        return seed
    }

    /// What to add to a failure message so it can be replayed.
    static func replay(_ seed: UInt64, salt: UInt64 = 0, function: String = #function) -> String {
        "seed \(seed &- salt); replay with \(variable)=\(seed &- salt) swift test --filter \(function.prefix { $0 != "(" })"
    }
}
