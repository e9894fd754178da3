import Foundation
import RotatorEmulators

/// N rotations × T targets over latency-injected emulators: target t of rotation i is a GitHub
/// secret when t is even (the repository secret of `acme/svc-i`, then environment secrets, each
/// its own scope and key) and a GitLab variable of project `acme/svc-i` when t is odd. Every
/// rotation adopts a token that expires tomorrow, so all are due.
final class BenchmarkWorld {
    let rotations: Int
    let targets: Int
    let options: BenchmarkOptions
    let concurrency: Int
    let directory: String
    let adminToken = "bench-admin-" + UUID().uuidString
    let githubToken = "bench-github-" + UUID().uuidString
    let gitlabToken = "bench-gitlab-" + UUID().uuidString
    let envshed: EnvshedEmulator
    let github: GitHubEmulator
    let gitlab: GitLabEmulator
    private var servers: [EmulatorServer] = []
    private var adopted: [String] = []

    static let projectID = "0b1c2d3e-0000-4000-8000-000000000001"
    static let environmentID = "0b1c2d3e-0000-4000-8000-000000000002"

    var githubTargetsPerRotation: Int { (targets + 1) / 2 }
    var gitlabTargetsPerRotation: Int { targets / 2 }

    init(rotations: Int, targets: Int, concurrency: Int, options: BenchmarkOptions) throws {
        self.rotations = rotations
        self.targets = targets
        self.concurrency = concurrency
        self.options = options
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("rotator-bench-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        envshed = EnvshedEmulator(org: "acme", adminToken: adminToken)
        // The token list of thousands of rotations in the largest pages the emulator serves, so
        // that the numbers measure rotations rather than list round trips.
        envshed.paginateList(.cursor, pageSize: EnvshedEmulator.maximumPageSize)
        envshed.addProject(slug: "bench", id: Self.projectID)
        envshed.addEnvironment(project: "bench", slug: "prod", id: Self.environmentID, secrets: ["DATABASE_URL": "postgres://bench"])
        github = GitHubEmulator(acceptedTokens: [githubToken])
        gitlab = GitLabEmulator(acceptedTokens: [gitlabToken])
        let tomorrow = Date().addingTimeInterval(86_400)
        for index in 0..<rotations {
            adopted.append(envshed.seedToken(
                name: "hand-made token \(index)", scope: "environment", projectID: Self.projectID,
                environmentID: Self.environmentID, permission: "read", expiresAt: tomorrow
            ).id)
            let environments = (0..<targets).filter { $0 % 2 == 0 && $0 > 0 }.map { "e\($0)" }
            github.addRepository("acme/svc-\(index)", id: 10_000 + index, environments: environments)
            if gitlabTargetsPerRotation > 0 {
                gitlab.addProject(path: "acme/svc-\(index)", id: 20_000 + index)
                // Variables exist already, as they do on every nightly run after the first.
                for target in (0..<targets) where target % 2 == 1 {
                    gitlab.seedVariable(project: "acme/svc-\(index)", GitLabStoredVariable(key: "ENVSHED_TOKEN_\(target)", value: "old-value-\(index)", masked: true, raw: true))
                }
            }
        }
    }

    func start(latency: Duration) async throws {
        for emulator in [envshed.setLatency, github.setLatency, gitlab.setLatency] { emulator(latency) }
        servers.append(try await envshed.start())
        servers.append(try await github.start())
        servers.append(try await gitlab.start())
    }

    func stop() async {
        for server in servers { await server.stop() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    var planPath: String { directory + "/plan.yaml" }

    /// The token rotation `index` adopts (the "leaked" one of the emergency measurement).
    func adoptedTokenID(_ index: Int) -> String { adopted[index] }

    func writePlan() throws {
        var lines = [
            "version: 1",
            "state_dir: \(directory)/state",
            "concurrency: \(concurrency)",
            "envshed:",
            "  api_url: \(servers[0].baseURL.absoluteString)",
            "  org: acme",
            "  token: env:ENVSHED_TOKEN",
            "  max_concurrent: \(options.maxConcurrent)",
            "providers:",
            "  github:",
            "    api_url: \(servers[1].baseURL.absoluteString)",
            "    token: env:GITHUB_TOKEN",
            "    max_concurrent: \(options.maxConcurrent)",
            "    writes_per_minute: \(options.writesPerMinute)",
            "  gitlab:",
            "    api_url: \(servers[2].baseURL.absoluteString)/api/v4",
            "    token: env:GITLAB_TOKEN",
            "    max_concurrent: \(options.maxConcurrent)",
            "    writes_per_minute: \(options.writesPerMinute)",
            "defaults:",
            "  expires_in_days: 30",
            "  rotate_before_days: 7",
            "rotations:",
        ]
        for index in 0..<rotations {
            lines += [
                "  - id: svc-\(index)",
                "    purpose: Bench \(index)",
                "    scope: environment",
                "    project: { slug: bench, id: \(Self.projectID) }",
                "    environment: { slug: prod, id: \(Self.environmentID) }",
                "    adopt: { token_id: \(adopted[index]) }",
                "    targets:",
            ]
            for target in 0..<targets {
                if target % 2 == 1 {
                    lines.append("      - gitlab: { project: acme/svc-\(index), variable: ENVSHED_TOKEN_\(target), masked: true }")
                } else if target == 0 {
                    lines.append("      - github: { repo: acme/svc-\(index), secret: ENVSHED_TOKEN }")
                } else {
                    lines.append("      - github: { repo: acme/svc-\(index), environment: e\(target), secret: ENVSHED_TOKEN }")
                }
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: planPath, atomically: true, encoding: .utf8)
    }

    var environment: [String: String] {
        ["ENVSHED_TOKEN": adminToken, "GITHUB_TOKEN": githubToken, "GITLAB_TOKEN": gitlabToken, "PATH": "/usr/bin:/bin"]
    }

    /// Adopted (old) tokens Envshed still holds live: every one must be revoked by the run.
    var liveOldTokens: Int {
        adopted.filter { envshed.token(id: $0)?.isLive == true }.count
    }

    var totalRequests: Int { envshed.requests.count + github.requests.count + gitlab.requests.count }

    /// Round trips on one rotation's critical path: create (the GitHub scopes' public keys are
    /// fetched meanwhile); push (every target at once); verify (pull and read-backs together);
    /// revoke.
    var criticalPathRoundTrips: Int { 4 }

    /// The fewest requests the APIs allow per rotation: Envshed create, test pull, revoke; per
    /// GitHub secret its scope's public key, the PUT and the read-back; per GitLab variable the
    /// PUT and the read-back. (Plus one token list per run, shared by all rotations.)
    var minimumRequestsPerRotation: Int { 3 + 3 * githubTargetsPerRotation + 2 * gitlabTargetsPerRotation }

    var writesPerRotation: Int { 2 + targets }

    /// Budget breaches the emulators observed: requests in flight above `max_concurrent`, writes
    /// within any minute above `writes_per_minute`.
    func violations() -> [String] {
        var found: [String] = []
        let hosts: [(String, Int, Int?)] = [
            ("envshed", envshed.maxConcurrentRequests, nil),
            ("github", github.maxConcurrentRequests, github.maxWrites(within: .seconds(60))),
            ("gitlab", gitlab.maxConcurrentRequests, gitlab.maxWrites(within: .seconds(60))),
        ]
        for (name, concurrent, writes) in hosts {
            if concurrent > options.maxConcurrent { found.append("\(name): \(concurrent) requests in flight > \(options.maxConcurrent)") }
            if let writes, writes > options.writesPerMinute { found.append("\(name): \(writes) writes in a minute > \(options.writesPerMinute)") }
        }
        return found
    }
}
