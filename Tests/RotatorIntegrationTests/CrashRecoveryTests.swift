import Foundation
import RotatorEmulators
import Synchronization
import Testing

/// SPEC I3: the process is killed with SIGKILL at every step boundary — when each request of a
/// rotation reaches a service, and after the service applied it but before the answer got back —
/// and at random moments under latency. A rerun must converge: every target holds the one live
/// current token, every other token the bot created or adopted is revoked, nothing else changed.
@Suite("Crash at any point, rerun, converge (real binary, SIGKILL)", .serialized)
struct CrashRecoveryTests {
    /// The requests of one rotation of `api-production-ci` — the token list; the create with the
    /// two scopes' public keys, concurrently; the two PUTs; the pull and two read-backs; the
    /// revoke — in arrival order (which concurrency varies from run to run), in both phases.
    static let crashPoints: [CrashPoint] = (1...10).flatMap { index in
        [CrashPoint(request: index, phase: .received), CrashPoint(request: index, phase: .handled)]
    }

    struct CrashPoint: CustomTestStringConvertible, Sendable {
        let request: Int
        let phase: ObservedRequest.Phase
        var testDescription: String { "request \(request), \(phase == .received ? "on arrival" : "after it was applied")" }
    }

    @Test("SIGKILL at a step boundary, then converge", arguments: crashPoints)
    func crashAtBoundary(_ point: CrashPoint) async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 3)
            let untouched = world.seedToken(environment: "staging", expiresInDays: 60)
            try world.writePlan(world.standardPlan(adoptProduction: old.id, adoptStaging: untouched.id))

            let killer = Killer(at: point.request, phase: point.phase)
            world.onRequest { request in killer.observe(request) }
            let running = try world.startRotator(["run"])
            killer.arm(pid: running.pid)
            let crashed = try await running.wait()
            #expect(crashed.exitCode != 0 || !killer.fired, "the process was killed: \(crashed.exitCode)")
            #expect(killer.fired, "no request \(point.request) happened: \(crashed.all)")
            killer.disarm()

            try await expectConvergence(world, adopted: [old.id], untouched: [untouched.id], due: ["api-production-ci"])
        }
    }

    @Test("SIGKILL at random moments under latency, then converge", arguments: 1...8)
    func crashAtRandomMoment(_ seed: Int) async throws {
        try await Scenario.with { world in
            world.envshed.setLatency(.milliseconds(15))
            world.github.setLatency(.milliseconds(15))
            let old = world.seedToken(expiresInDays: 2)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            var generator = SeededGenerator(seed: UInt64(seed))
            // A full run of both rotations takes about 16 requests × 15 ms plus the process start.
            let delay = Int.random(in: 20...500, using: &generator)
            let running = try world.startRotator(["run"])
            try await Task.sleep(for: .milliseconds(delay))
            kill(running.pid, SIGKILL)
            _ = try await running.wait()
            world.envshed.setLatency(.zero)
            world.github.setLatency(.zero)
            try await expectConvergence(world, adopted: [old.id], untouched: [], due: ["api-production-ci", "web-staging-ci"])
        }
    }

    @Test("SIGTERM during the pushes: the pushes in flight finish and are journaled, nothing after them starts, the next run converges")
    func sigtermFinishesTheStep() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 5)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            // The PUTs are slow; SIGTERM arrives when the second one reaches GitHub (GitHub's
            // write pacing sends it a second after the first), so both pushes have started.
            world.github.inject(.delay(.milliseconds(600), method: "PUT", times: 10))
            let terminator = Killer(at: 2, phase: .received, signal: SIGTERM, method: "PUT")
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
        _ world: Scenario, adopted: [String], untouched: [String], due: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        var rerun = try await world.rotator(["run"])
        if rerun.exitCode != 0 { rerun = try await world.rotator(["run"]) }
        #expect(rerun.exitCode == 0, "rerun: \(rerun.all)", sourceLocation: sourceLocation)
        #expect(rerun.exitCode != 75, "a dead holder's lock must be taken over", sourceLocation: sourceLocation)

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
            #expect(token.isLive, "\(id)'s current token must be live", sourceLocation: sourceLocation)
            for (repository, environment) in targetsOf[id] ?? [] {
                #expect(world.githubSecret(repository, environment: environment) == token.value, "\(repository) \(environment ?? "") holds another token", sourceLocation: sourceLocation)
            }
        }
        for token in world.envshed.tokens where token.description?.contains("managed-by=envshed-rotator") == true && !current.contains(token.id) {
            #expect(token.revokedAt != nil, "token \(token.id) the bot created is still live", sourceLocation: sourceLocation)
        }
        for id in adopted {
            #expect(world.envshed.token(id: id)?.revokedAt != nil, "the adopted token \(id) must be revoked", sourceLocation: sourceLocation)
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
        #expect(world.writeRequests.count == writes, "a converged state must not change on the next run", sourceLocation: sourceLocation)
        try world.expectNoSecretsLeaked([rerun, status, again], sourceLocation: sourceLocation)
    }
}

/// Sends a signal to the rotator when the Nth request (counted across both emulators) reaches
/// the given phase. The production code path runs unchanged; only the emulator watches.
final class Killer: Sendable {
    private struct State {
        var pid: Int32?
        var seen = 0
        var fired = false
        var armed = true
        /// The Nth request, to recognise its own "handled" event: requests run concurrently, so
        /// others may arrive before it is handled.
        var targetRequest: String?
    }

    private let target: Int
    private let phase: ObservedRequest.Phase
    private let signalNumber: Int32
    /// Count only requests with this method (nil: every request).
    private let method: String?
    private let state = Mutex(State())

    init(at request: Int, phase: ObservedRequest.Phase, signal: Int32 = SIGKILL, method: String? = nil) {
        self.target = request
        self.phase = phase
        self.signalNumber = signal
        self.method = method
    }

    func arm(pid: Int32) {
        state.withLock { $0.pid = pid }
    }

    func disarm() {
        state.withLock { $0.armed = false }
    }

    var fired: Bool { state.withLock { $0.fired } }

    func observe(_ request: ObservedRequest) {
        state.withLock { state in
            guard state.armed, !state.fired, method == nil || request.method == method else { return }
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
            kill(pid, signalNumber)
            state.fired = true
        }
    }
}

/// A small deterministic generator (SplitMix64) so a failing random case can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed &+ 0x9E37_79B9_7F4A_7C15
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
