import Foundation
import RotatorEmulators
import Synchronization
import Testing

/// SPEC I3: the process is killed with SIGKILL at every step of a rotation — the token list, the
/// create, each public key, each push, the test pull, each read-back, the revoke — when the
/// request reaches the service and after the service applied it but before the answer got back,
/// and at seeded request numbers (plus a seeded offset). A rerun must converge: every target
/// holds the one live current token, every other token the bot created or adopted is revoked,
/// nothing else changed.
@Suite("Crash at any point, rerun, converge (real binary, SIGKILL)", .serialized, .timeLimit(.minutes(5)))
struct CrashRecoveryTests {
    /// Each request of one rotation of `api-production-ci` (two GitHub secrets of `acme/api`),
    /// named by what it does, so that the kill lands at that step whatever order concurrency gives.
    enum Step: String, CaseIterable, Sendable {
        case list, create, publicKeyOfRepository, publicKeyOfEnvironment, pushToRepository, pushToEnvironment
        case testPull, readBackOfRepository, readBackOfEnvironment, revoke

        static let repositorySecret = "/repos/acme/api/actions/secrets/"
        static let environmentSecret = "/repos/acme/api/environments/production/secrets/"

        func matches(_ request: ObservedRequest) -> Bool {
            let method = request.method, path = request.path
            switch self {
            case .list: return method == "GET" && path.hasPrefix("/api/v1/service-tokens/")
            case .create: return method == "POST" && path.hasPrefix("/api/v1/service-tokens/")
            case .publicKeyOfRepository: return method == "GET" && path == Self.repositorySecret + "public-key"
            case .publicKeyOfEnvironment: return method == "GET" && path == Self.environmentSecret + "public-key"
            case .pushToRepository: return method == "PUT" && path == Self.repositorySecret + "ENVSHED_TOKEN"
            case .pushToEnvironment: return method == "PUT" && path == Self.environmentSecret + "ENVSHED_TOKEN"
            case .testPull: return method == "GET" && path.hasPrefix("/api/v1/secrets/")
            case .readBackOfRepository: return method == "GET" && path == Self.repositorySecret + "ENVSHED_TOKEN"
            case .readBackOfEnvironment: return method == "GET" && path == Self.environmentSecret + "ENVSHED_TOKEN"
            case .revoke: return method == "DELETE"
            }
        }
    }

    static let crashPoints: [CrashPoint] = Step.allCases.flatMap { step in
        [CrashPoint(step: step, phase: .received), CrashPoint(step: step, phase: .handled)]
    }

    struct CrashPoint: CustomTestStringConvertible, Sendable {
        let step: Step
        let phase: ObservedRequest.Phase
        var testDescription: String { "\(step.rawValue), \(phase == .received ? "on arrival" : "after it was applied")" }
    }

    @Test("SIGKILL at each step of a rotation (on arrival, after it was applied), the process sends nothing more, a rerun converges", arguments: crashPoints)
    func crashAtStep(_ point: CrashPoint) async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 3)
            let untouched = world.seedToken(environment: "staging", expiresInDays: 60)
            try world.writePlan(world.standardPlan(adoptProduction: old.id, adoptStaging: untouched.id))

            let killer = Killer(at: 1, phase: point.phase) { point.step.matches($0) }
            world.onRequest { request in killer.observe(request) }
            let running = try world.startRotator(["run"])
            killer.arm(pid: running.pid)
            let crashed = try await running.wait()
            killer.disarm()
            #expect(killer.fired, "the run never made a \(point.step.rawValue) request: \(crashed.all)")
            #expect(crashed.exitCode == SIGKILL, "the process was killed at \(point.step.rawValue): \(crashed.exitCode)")
            expectNothingAfterKill(world, killer)
            // Before any rerun: the killed run's WAL and journal are as it left them.
            try world.expectNoSecretsLeaked([])

            try await expectConvergence(world, adopted: [old.id], untouched: [untouched.id], due: ["api-production-ci"])
        }
    }

    @Test("SIGKILL at a seeded request number plus a seeded offset (ROTATOR_TEST_SEED replays), then converge", arguments: 1...6)
    func crashAtSeededRequest(_ salt: Int) async throws {
        let seed = TestSeed.make(salt: UInt64(salt))
        var generator = SeededGenerator(seed: seed)
        // How many requests a clean run of this plan makes, so that every one of them can be hit.
        let total = try await Self.requestCount { world in
            try world.writePlan(world.standardPlan(adoptProduction: world.seedToken(expiresInDays: 2).id))
        }
        let request = Int.random(in: 1...total, using: &generator)
        let phase: ObservedRequest.Phase = Bool.random(using: &generator) ? .received : .handled
        let offset = Duration.milliseconds(Int.random(in: 0...15, using: &generator))
        let replay = TestSeed.replay(seed, salt: UInt64(salt))
        print("crashAtSeededRequest: request \(request) of \(total), \(phase), +\(offset); \(replay)")
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 2)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            let killer = Killer(at: request, phase: phase, offset: offset)
            world.onRequest { request in killer.observe(request) }
            let running = try world.startRotator(["run"])
            killer.arm(pid: running.pid)
            let crashed = try await running.wait()
            killer.disarm()
            #expect(killer.fired, "no request \(request) of \(total) happened: \(crashed.all); \(replay)")
            // With an offset the run may finish first (the last request); otherwise it died there.
            #expect(crashed.exitCode == SIGKILL || (offset > .zero && crashed.exitCode == 0), "exit \(crashed.exitCode); \(replay)")
            if crashed.exitCode == SIGKILL { expectNothingAfterKill(world, killer, note: replay) }
            try world.expectNoSecretsLeaked([])
            try await expectConvergence(world, adopted: [old.id], untouched: [], due: ["api-production-ci", "web-staging-ci"], note: replay)
        }
    }

    /// The requests one clean run of the plan `setUp` writes makes.
    private static func requestCount(_ setUp: (Scenario) throws -> Void) async throws -> Int {
        let world = try await Scenario.start()
        do {
            try setUp(world)
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "the calibration run failed: \(result.all)")
            let count = world.events.filter(\.isArrival).count
            await world.stop()
            return max(count, 1)
        } catch {
            await world.stop()
            throw error
        }
    }

    /// A target of `sharedWorld` and how to read what it holds.
    struct SharedTarget: Sendable {
        let name: String
        let read: @Sendable (Scenario) -> String?
    }

    /// Three due rotations that share hosts and places: `share-a` and `share-b` write two secrets
    /// of repository `acme/api` and two keys of the Kubernetes Secret `api/shared`; `share-a` and
    /// `share-c` write two variables of the GitLab project `acme/api`; `share-c` also writes the
    /// `production` environment of `acme/api`, `share-b` a file. Returns each rotation's targets
    /// and the tokens adopted.
    static func sharedWorld(_ world: Scenario) throws -> (targets: [String: [SharedTarget]], adopted: [String]) {
        let agent = world.directory + "/agent"
        try FileManager.default.createDirectory(atPath: agent, withIntermediateDirectories: true)
        func github(_ name: String, environment: String? = nil) -> SharedTarget {
            SharedTarget(name: "github acme/api\(environment.map { "@" + $0 } ?? "")/\(name)") { $0.githubSecret("acme/api", environment: environment, name: name) }
        }
        func kubernetes(_ key: String) -> SharedTarget {
            SharedTarget(name: "kubernetes api/shared/\(key)") { $0.kubernetes.secretValue(namespace: "api", name: "shared", key: key) }
        }
        func gitlab(_ key: String) -> SharedTarget {
            SharedTarget(name: "gitlab acme/api/\(key)") { $0.gitlab.variable(project: "acme/api", key: key)?.value }
        }
        let file = SharedTarget(name: "file \(agent)/token-b") { try? String(contentsOfFile: $0.directory + "/agent/token-b", encoding: .utf8) }
        let targets: [String: [(yaml: String, target: SharedTarget)]] = [
            "share-a": [
                ("github: { repo: acme/api, secret: TOKEN_A }", github("TOKEN_A")),
                ("kubernetes: { namespace: api, secret: shared, key: TOKEN_A }", kubernetes("TOKEN_A")),
                ("gitlab: { project: acme/api, variable: TOKEN_A }", gitlab("TOKEN_A")),
            ],
            "share-b": [
                ("github: { repo: acme/api, secret: TOKEN_B }", github("TOKEN_B")),
                ("kubernetes: { namespace: api, secret: shared, key: TOKEN_B }", kubernetes("TOKEN_B")),
                ("file: { path: \(agent)/token-b }", file),
            ],
            "share-c": [
                ("github: { repo: acme/api, environment: production, secret: TOKEN_C }", github("TOKEN_C", environment: "production")),
                ("gitlab: { project: acme/api, variable: TOKEN_C }", gitlab("TOKEN_C")),
            ],
        ]
        var adopted: [String] = []
        var rotations: [Scenario.PlannedRotation] = []
        for id in targets.keys.sorted() {
            let old = world.seedToken(expiresInDays: 2)
            adopted.append(old.id)
            rotations.append(.init(id: id, adopt: old.id, targets: targets[id, default: []].map(\.yaml)))
        }
        try world.writePlan(world.rotationsPlan(rotations))
        return (targets.mapValues { $0.map(\.target) }, adopted)
    }

    @Test("SIGKILL at a seeded request of three rotations sharing a repository, a Kubernetes Secret and a GitLab project, then converge", arguments: 1...4)
    func crashWithSharedTargets(_ salt: Int) async throws {
        let seed = TestSeed.make(salt: UInt64(salt))
        var generator = SeededGenerator(seed: seed)
        let total = try await Self.requestCount { _ = try Self.sharedWorld($0) }
        let request = Int.random(in: 1...total, using: &generator)
        let phase: ObservedRequest.Phase = Bool.random(using: &generator) ? .received : .handled
        let replay = TestSeed.replay(seed, salt: UInt64(salt))
        print("crashWithSharedTargets: request \(request) of \(total), \(phase); \(replay)")
        try await Scenario.with { world in
            let (targets, adopted) = try Self.sharedWorld(world)
            let killer = Killer(at: request, phase: phase)
            world.onRequest { request in killer.observe(request) }
            let running = try world.startRotator(["run"])
            killer.arm(pid: running.pid)
            let crashed = try await running.wait()
            killer.disarm()
            #expect(killer.fired && crashed.exitCode == SIGKILL, "no kill at request \(request) of \(total): \(crashed.all); \(replay)")
            expectNothingAfterKill(world, killer, note: replay)
            try world.expectNoSecretsLeaked([])

            try await expectSharedConvergence(world, targets: targets, adopted: adopted, note: replay)
        }
    }

    /// The places where a Kubernetes or GitLab write of `sharedWorld` can be interrupted.
    static let sharedCrashPoints: [SharedCrashPoint] = [
        SharedCrashPoint(name: "first Kubernetes apply", occurrence: 1) { $0.method == "PATCH" && $0.path.contains("/secrets/shared") },
        SharedCrashPoint(name: "second Kubernetes apply", occurrence: 2) { $0.method == "PATCH" && $0.path.contains("/secrets/shared") },
        SharedCrashPoint(name: "first GitLab write", occurrence: 1) { ($0.method == "POST" || $0.method == "PUT") && $0.path.contains("/variables") },
        SharedCrashPoint(name: "second GitLab write", occurrence: 2) { ($0.method == "POST" || $0.method == "PUT") && $0.path.contains("/variables") },
        SharedCrashPoint(name: "first Kubernetes read-back", occurrence: 1) { $0.method == "GET" && $0.path.contains("/secrets/shared") },
        SharedCrashPoint(name: "first GitLab read-back", occurrence: 1) { $0.method == "GET" && $0.path.contains("/variables/") },
    ].flatMap { point in [ObservedRequest.Phase.received, .handled].map { SharedCrashPoint(point, phase: $0) } }

    struct SharedCrashPoint: CustomTestStringConvertible, Sendable {
        let name: String
        let occurrence: Int
        var phase: ObservedRequest.Phase = .received
        let matches: @Sendable (ObservedRequest) -> Bool

        init(name: String, occurrence: Int, matches: @escaping @Sendable (ObservedRequest) -> Bool) {
            self.name = name
            self.occurrence = occurrence
            self.matches = matches
        }

        init(_ point: SharedCrashPoint, phase: ObservedRequest.Phase) {
            self = point
            self.phase = phase
        }

        var testDescription: String { "\(name), \(phase == .received ? "on arrival" : "after it was applied")" }
    }

    @Test("SIGKILL at each Kubernetes and GitLab write and read-back of rotations sharing a Secret and a project, then converge", arguments: sharedCrashPoints)
    func crashAtSharedTargetStep(_ point: SharedCrashPoint) async throws {
        try await Scenario.with { world in
            let (targets, adopted) = try Self.sharedWorld(world)
            let killer = Killer(at: point.occurrence, phase: point.phase, matching: point.matches)
            world.onRequest { request in killer.observe(request) }
            let running = try world.startRotator(["run"])
            killer.arm(pid: running.pid)
            let crashed = try await running.wait()
            killer.disarm()
            #expect(killer.fired && crashed.exitCode == SIGKILL, "no kill at the \(point.name): \(crashed.all)")
            expectNothingAfterKill(world, killer)
            try world.expectNoSecretsLeaked([])
            try await expectSharedConvergence(world, targets: targets, adopted: adopted)
        }
    }

    /// Reruns until a run exits 0 (at most twice); then each rotation of `sharedWorld` has one
    /// live current token that all its places hold, every other token is revoked, and one more
    /// run writes nothing.
    private func expectSharedConvergence(
        _ world: Scenario, targets: [String: [SharedTarget]], adopted: [String], note replay: String = "",
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        var rerun = try await world.rotator(["run"])
        if rerun.exitCode != 0 { rerun = try await world.rotator(["run"]) }
        #expect(rerun.exitCode == 0, "rerun: \(rerun.all) \(replay)", sourceLocation: sourceLocation)
        let status = try await world.rotator(["status", "--json"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any], sourceLocation: sourceLocation)
        let rows = try #require(document["rotations"] as? [[String: Any]], sourceLocation: sourceLocation)
        var current: Set<String> = []
        for (id, places) in targets {
            let tokenID = try #require(rows.first { $0["id"] as? String == id }.flatMap { ($0["token"] as? [String: Any])?["id"] as? String }, "\(id) has no current token; \(replay)", sourceLocation: sourceLocation)
            current.insert(tokenID)
            let token = try #require(world.envshed.token(id: tokenID), sourceLocation: sourceLocation)
            #expect(token.isLive, "\(id)'s current token is not live; \(replay)", sourceLocation: sourceLocation)
            for place in places {
                #expect(place.read(world) == token.value, "\(place.name) does not hold \(id)'s current token; \(replay)", sourceLocation: sourceLocation)
            }
        }
        for token in world.envshed.tokens where !current.contains(token.id) {
            #expect(token.revokedAt != nil, "token \(token.id) is neither current nor revoked; \(replay)", sourceLocation: sourceLocation)
        }
        #expect(adopted.allSatisfy { !current.contains($0) }, "an adopted token is current again", sourceLocation: sourceLocation)
        let writes = world.writeRequests.count
        let again = try await world.rotator(["run"])
        #expect(again.exitCode == 0 && world.writeRequests.count == writes, "a converged state must not change on the next run; \(replay)", sourceLocation: sourceLocation)
        try world.expectNoSecretsLeaked([rerun, status, again], sourceLocation: sourceLocation)
    }

    /// Where the kill landed: the request it was aimed at, and nothing reached any service once
    /// the signal was sent, except what the process had already sent (read within half a second).
    private func expectNothingAfterKill(_ world: Scenario, _ killer: Killer, note: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
        guard let killedAt = killer.killedAt else {
            Issue.record("the kill was never sent \(note)", sourceLocation: sourceLocation)
            return
        }
        let arrivals = world.events.filter(\.isArrival)
        // Bytes the process wrote before it died can still be read a little later on a busy machine.
        let late = arrivals.filter { $0.at > killedAt.advanced(by: .milliseconds(500)) }
        let last = arrivals.last { $0.at <= killedAt }.map(\.line) ?? "none"
        print("killed at \(killer.killedRequest ?? "?"); the last request the emulators saw before the signal: \(last)")
        #expect(late.isEmpty, "requests after the kill at \(killer.killedRequest ?? "?"): \(late.map(\.line)) \(note)", sourceLocation: sourceLocation)
    }

    @Test("SIGTERM during the pushes: the pushes in flight finish and are journaled, nothing after them starts, the next run converges")
    func sigtermFinishesTheStep() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 5)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            // The PUTs are slow; SIGTERM arrives when the second one reaches GitHub, so both
            // pushes have started.
            world.github.inject(.delay(.milliseconds(600), method: "PUT", times: 10))
            let terminator = Killer(at: 2, phase: .received, signal: SIGTERM) { $0.method == "PUT" }
            world.onRequest { request in terminator.observe(request) }
            let running = try world.startRotator(["run", "--only", "api-production-ci"])
            terminator.arm(pid: running.pid)
            let stopped = try await running.wait()
            terminator.disarm()
            #expect(terminator.fired)
            #expect(stopped.exitCode == 1, "\(stopped.all)")
            #expect(stopped.stderr.contains("stop requested; finishing the current step"))
            #expect(stopped.stderr.contains("stopped by a shutdown request before verify"), "\(stopped.stderr)")
            // Every push that started finished and was journaled as such; no verification or
            // revocation started after the signal.
            let pushLines = stopped.stderr.split(separator: "\n").filter { $0.contains("\"step\":\"push\"") }
            #expect(pushLines.count == 2 && pushLines.allSatisfy { $0.contains("\"outcome\":\"ok\"") }, "\(pushLines)")
            #expect(world.github.writes.filter(\.isAccepted).count == 2)
            #expect(world.envshed.requests.filter { $0.path.hasPrefix("/api/v1/secrets/") }.count == 1, "one test pull, before the pushes")
            #expect(!world.github.requests.contains { $0.method == "GET" && $0.path.contains("/actions/secrets/") && !$0.path.hasSuffix("/public-key") }, "no read-back started")
            #expect(!world.envshed.requests.contains { $0.method == "DELETE" })
            #expect(world.envshed.token(id: old.id)?.isLive == true)
            try await expectConvergence(world, adopted: [old.id], untouched: [], due: ["api-production-ci", "web-staging-ci"])
        }
    }

    /// Reruns until a run exits 0 (at most twice), then checks the converged state.
    private func expectConvergence(
        _ world: Scenario, adopted: [String], untouched: [String], due: [String], note: String = "", sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        var rerun = try await world.rotator(["run"])
        if rerun.exitCode != 0 { rerun = try await world.rotator(["run"]) }
        #expect(rerun.exitCode == 0, "rerun (75 would mean a dead holder's lock was not taken over): \(rerun.all) \(note)", sourceLocation: sourceLocation)

        let status = try await world.rotator(["status", "--json"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any], sourceLocation: sourceLocation)
        let rows = try #require(document["rotations"] as? [[String: Any]], sourceLocation: sourceLocation)
        var current: Set<String> = []
        let targetsOf = ["api-production-ci": [("acme/api", nil), ("acme/api", "production")], "web-staging-ci": [("acme/web", nil as String?)]]
        for id in due {
            let row = try #require(rows.first { $0["id"] as? String == id }, sourceLocation: sourceLocation)
            let tokenID = try #require((row["token"] as? [String: Any])?["id"] as? String, "\(id) has no current token", sourceLocation: sourceLocation)
            current.insert(tokenID)
            let token = try #require(world.envshed.token(id: tokenID), sourceLocation: sourceLocation)
            #expect(token.isLive, "\(id)'s current token must be live \(note)", sourceLocation: sourceLocation)
            for (repository, environment) in targetsOf[id] ?? [] {
                #expect(world.githubSecret(repository, environment: environment) == token.value, "\(repository) \(environment ?? "") holds another token", sourceLocation: sourceLocation)
            }
        }
        for token in world.envshed.tokens where token.description?.contains("managed-by=envshed-rotator") == true && !current.contains(token.id) {
            #expect(token.revokedAt != nil, "token \(token.id) the bot created is still live \(note)", sourceLocation: sourceLocation)
        }
        for id in adopted {
            #expect(world.envshed.token(id: id)?.revokedAt != nil, "the adopted token \(id) must be revoked \(note)", sourceLocation: sourceLocation)
        }
        for id in untouched {
            #expect(world.envshed.token(id: id)?.isLive == true, "token \(id) is not the bot's to revoke", sourceLocation: sourceLocation)
        }
        if !due.contains("web-staging-ci") {
            #expect(!world.github.writes.contains { $0.repository == "acme/web" }, "acme/web is not due and must not be written", sourceLocation: sourceLocation)
        }
        // Converged means stable: one more run writes nothing.
        let writes = world.writeRequests.count
        let again = try await world.rotator(["run"])
        #expect(again.exitCode == 0, sourceLocation: sourceLocation)
        #expect(world.writeRequests.count == writes, "a converged state must not change on the next run \(note)", sourceLocation: sourceLocation)
        try world.expectNoSecretsLeaked([rerun, status, again], sourceLocation: sourceLocation)
    }
}

/// Sends a signal to the rotator when the Nth request matching `matching` (counted across every
/// emulator) reaches the given phase, optionally `offset` later. The production code path runs
/// unchanged; only the emulators watch.
final class Killer: Sendable {
    private struct State {
        var pid: Int32?
        var seen = 0
        var fired = false
        var armed = true
        /// The Nth request, to recognise its own "handled" event: requests run concurrently, so
        /// others may arrive before it is handled.
        var targetRequest: String?
        var killedAt: ContinuousClock.Instant?
    }

    private let target: Int
    private let phase: ObservedRequest.Phase
    private let signalNumber: Int32
    private let offset: Duration
    private let matching: @Sendable (ObservedRequest) -> Bool
    private let state = Mutex(State())

    init(
        at request: Int, phase: ObservedRequest.Phase, signal: Int32 = SIGKILL, offset: Duration = .zero,
        matching: @escaping @Sendable (ObservedRequest) -> Bool = { _ in true }
    ) {
        self.target = request
        self.phase = phase
        self.signalNumber = signal
        self.offset = offset
        self.matching = matching
    }

    func arm(pid: Int32) {
        state.withLock { $0.pid = pid }
    }

    func disarm() {
        state.withLock { $0.armed = false }
    }

    var fired: Bool { state.withLock { $0.fired } }
    /// "METHOD path" of the request the signal was aimed at.
    var killedRequest: String? { state.withLock { $0.fired ? $0.targetRequest : nil } }
    /// When the signal was sent.
    var killedAt: ContinuousClock.Instant? { state.withLock { $0.killedAt } }

    func observe(_ request: ObservedRequest) {
        state.withLock { state in
            guard state.armed, !state.fired, matching(request) else { return }
            let key = request.method + " " + request.path
            if request.phase == .received {
                state.seen += 1
                if state.seen == target { state.targetRequest = key }
            }
            switch phase {
            case .received: guard request.phase == .received, state.seen == target else { return }
            case .handled: guard request.phase == .handled, state.targetRequest == key else { return }
            }
            // The process may not be armed yet if it is very fast; wait for its pid briefly.
            var waited = 0
            while state.pid == nil, waited < 100 {
                waited += 1
                usleep(1_000)
            }
            guard let pid = state.pid else { return }
            if offset > .zero {
                // Later, off the emulator's thread: the request goes on meanwhile.
                let microseconds = UInt32(offset.components.seconds * 1_000_000 + offset.components.attoseconds / 1_000_000_000_000)
                Thread.detachNewThread { [self] in
                    usleep(microseconds)
                    self.state.withLock { $0.killedAt = .now }
                    kill(pid, signalNumber)
                }
            } else {
                kill(pid, signalNumber)
                state.killedAt = .now
            }
            state.fired = true
        }
    }
}
