import Foundation
import RotatorCore

/// One case of the model-based safety test, generated from its seed: a plan of 2–6 rotations
/// that share hosts, repositories, a GitLab project, one Kubernetes Secret and a folder of files,
/// then 1–3 runs under faults (each possibly killed at a request, each possibly preceded by the
/// loss of the state directory or the restore of an older copy), then clean runs.
struct ModelCase: Sendable, CustomStringConvertible {
    struct Rotation: Sendable {
        var id: String
        /// `production` or `staging`.
        var environment: String
        var graceMinutes: Int
        var targets: [ModelTarget]
        /// Days until the adopted token expires; nil when the rotation adopts nothing.
        var adoptExpiresInDays: Int?
    }

    enum Command: Sendable, CustomStringConvertible {
        case run
        case rotate(rotationID: String, emergency: Bool, revokeOld: RevokeOldMode)

        var description: String {
            switch self {
            case .run: "run"
            case .rotate(let id, let emergency, let revokeOld):
                "rotate \(id)" + (emergency ? " --emergency" : "") + (revokeOld == .afterVerify ? "" : " --revoke-old \(revokeOld.rawValue)")
            }
        }

        /// SPEC I1's one exception: the operator asked for the old token to die before its successor is in place.
        var revokesHeldToken: String? {
            if case .rotate(let id, true, let mode) = self, mode != .afterVerify { return id }
            return nil
        }
    }

    enum StateAction: Sendable, CustomStringConvertible {
        case keep
        case lose
        /// The copy of the state directory taken at the end of faulty run `index` (0-based).
        case restore(afterRun: Int)

        var description: String {
            switch self {
            case .keep: "keep the state"
            case .lose: "lose the state directory"
            case .restore(let index): "restore the state directory as it was after run \(index + 1)"
            }
        }
    }

    struct Run: Sendable, CustomStringConvertible {
        var command: Command
        var stateBefore: StateAction
        /// Chance, per thousand, that a request gets a fault.
        var faultPerMille: Int
        /// The 1-based request at which the process is killed, if it is.
        var killAt: Int?
        /// Minutes that pass before the run starts.
        var minutesBefore: Int

        var description: String {
            "\(stateBefore); +\(minutesBefore) min; \(command); faults \(faultPerMille)‰" + (killAt.map { "; SIGKILL at request \($0)" } ?? "")
        }
    }

    let seed: UInt64
    var rotations: [Rotation]
    var concurrency: Int
    var faultyRuns: [Run]

    init(seed: UInt64) {
        self.seed = seed
        var random = SplitMix64(seed: seed)
        let count = random.int(2...6)
        var rotations: [Rotation] = []
        for index in 1...count {
            let secret = "ENVSHED_TOKEN_R\(index)"
            var targets: [ModelTarget] = []
            if random.chance(1, in: 2) { targets.append(.githubRepository(repository: random.pick(["acme/api", "acme/web"]), secret: secret)) }
            if random.chance(1, in: 3) { targets.append(.githubEnvironment(repository: "acme/api", environment: "production", secret: secret)) }
            if random.chance(1, in: 2) { targets.append(.gitlabProject(project: "acme/api", variable: secret)) }
            if random.chance(1, in: 2) { targets.append(.kubernetes(namespace: "api", secret: "envshed", key: "token-r\(index)")) }
            if random.chance(1, in: 3) { targets.append(.file(name: "r\(index).token")) }
            let adoptExpiresInDays = random.chance(1, in: 3) ? random.pick([3, 60]) : nil
            if adoptExpiresInDays != nil {
                // The adopted token is already in every target, as in a real adoption; a GitHub
                // secret is sealed and cannot be seeded outside the API, so these have none.
                targets.removeAll { if case .githubRepository = $0 { true } else if case .githubEnvironment = $0 { true } else { false } }
            }
            if targets.isEmpty { targets.append(.kubernetes(namespace: "api", secret: "envshed", key: "token-r\(index)")) }
            rotations.append(Rotation(
                id: "r\(index)", environment: random.pick(["production", "staging"]),
                graceMinutes: random.chance(1, in: 4) ? random.pick([1, 5]) : 0,
                targets: targets,
                adoptExpiresInDays: adoptExpiresInDays
            ))
        }
        // The Kubernetes Secret is shared: make sure at least two rotations write keys of it.
        let inSecret = rotations.indices.filter { index in rotations[index].targets.contains { if case .kubernetes = $0 { true } else { false } } }
        if inSecret.count < 2 {
            for index in rotations.indices.prefix(2) where !inSecret.contains(index) {
                rotations[index].targets.append(.kubernetes(namespace: "api", secret: "envshed", key: "token-r\(index + 1)"))
            }
        }
        // Azure DevOps: variables of ONE group (a whole-group PUT each), drawn from a stream of
        // their own so that every earlier seed still replays the same rotations, faults and kills.
        var azure = SplitMix64(seed: seed ^ 0xA2DE_0000_0000_0015)
        var inGroup: [Int] = []
        for index in rotations.indices where azure.chance(1, in: 2) { inGroup.append(index) }
        for index in rotations.indices.prefix(2) where inGroup.count < 2 && !inGroup.contains(index) { inGroup.append(index) }
        for index in inGroup { rotations[index].targets.append(.azureDevOps(variable: "ENVSHED_TOKEN_R\(index + 1)")) }
        self.rotations = rotations
        concurrency = random.int(1...4)
        var runs: [Run] = []
        for index in 0..<random.int(1...3) {
            let command: Command
            switch random.int(0..<10) {
            case 0..<6: command = .run
            case 6..<8: command = .rotate(rotationID: random.pick(rotations).id, emergency: false, revokeOld: .afterVerify)
            default:
                command = .rotate(rotationID: random.pick(rotations).id, emergency: true, revokeOld: random.pick(RevokeOldMode.allCases))
            }
            let stateBefore: StateAction
            switch random.int(0..<10) {
            case 0: stateBefore = .lose
            case 1 where index > 0: stateBefore = .restore(afterRun: random.int(0..<index))
            default: stateBefore = .keep
            }
            runs.append(Run(
                command: command, stateBefore: stateBefore, faultPerMille: random.pick([0, 100, 200, 300]),
                killAt: random.chance(2, in: 5) ? random.int(1...45) : nil,
                minutesBefore: random.pick([0, 0, 2, 10])
            ))
        }
        faultyRuns = runs
    }

    var description: String {
        var lines = ["seed \(seed): \(rotations.count) rotations, concurrency \(concurrency)"]
        for rotation in rotations {
            lines.append("  \(rotation.id) (\(rotation.environment), grace \(rotation.graceMinutes) min"
                + (rotation.adoptExpiresInDays.map { ", adopts a token expiring in \($0) days" } ?? "") + "): "
                + rotation.targets.map(\.description).joined(separator: ", "))
        }
        for (index, run) in faultyRuns.enumerated() {
            lines.append("  run \(index + 1): \(run)")
        }
        lines.append("  then up to 2 clean runs")
        return lines.joined(separator: "\n")
    }
}
