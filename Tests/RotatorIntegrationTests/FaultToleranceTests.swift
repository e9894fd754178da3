import Foundation
import RotatorEmulators
import Synchronization
import Testing

/// One test per fault kind the services can throw at the bot. Transient faults are retried and
/// the rotation completes; persistent ones fail it with the old token valid. Every test also runs
/// the live I1 monitor (`Scenario.with`): no token is revoked while a target still holds it.
@Suite("Faults: retries, rate limits, timeouts, dropped connections (real binary)", .serialized)
struct FaultToleranceTests {
    static let putPath = "/repos/acme/api/actions/secrets/ENVSHED_TOKEN"

    /// A world whose `api-production-ci` is due (adopted token expiring in 5 days).
    private func dueWorld(_ world: Scenario, httpTimeoutSeconds: Int = 30) throws -> String {
        let old = world.seedToken(expiresInDays: 5)
        try world.writePlan(world.standardPlan(adoptProduction: old.id, httpTimeoutSeconds: httpTimeoutSeconds))
        return old.id
    }

    private func expectRotated(_ world: Scenario, old: String, _ result: RotatorProcess.Result, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(result.exitCode == 0, "\(result.all)", sourceLocation: sourceLocation)
        let current = try #require(world.token(withValue: world.githubSecret("acme/api")), sourceLocation: sourceLocation)
        #expect(current.isLive, sourceLocation: sourceLocation)
        #expect(world.githubSecret("acme/api", environment: "production") == current.value, sourceLocation: sourceLocation)
        #expect(world.envshed.token(id: old)?.revokedAt != nil, sourceLocation: sourceLocation)
    }

    private func expectOldTokenKept(_ world: Scenario, old: String, _ result: RotatorProcess.Result, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.exitCode == 1, "\(result.all)", sourceLocation: sourceLocation)
        #expect(world.envshed.token(id: old)?.isLive == true, "the old token must stay valid", sourceLocation: sourceLocation)
        #expect(result.stderr.contains("the old token \(old) stays valid"), "\(result.stderr)", sourceLocation: sourceLocation)
    }

    private func puts(_ world: Scenario, _ path: String = putPath) -> [RecordedRequest] {
        world.github.requests.filter { $0.method == "PUT" && $0.path == path }
    }

    @Test("a 500 on a PUT is retried and the rotation completes")
    func transient500() async throws {
        try await Scenario.with { world in
            let old = try dueWorld(world)
            world.github.inject(InjectedFault(method: "PUT", pathContains: Self.putPath, status: 500))
            let result = try await world.rotator(["run"])
            try expectRotated(world, old: old, result)
            #expect(puts(world).map(\.status) == [500, 204] || puts(world).map(\.status) == [500, 201])
        }
    }

    @Test("a 502 that does not go away fails the rotation with the old token valid")
    func persistent502() async throws {
        try await Scenario.with { world in
            let old = try dueWorld(world)
            world.github.inject(InjectedFault(method: "PUT", pathContains: Self.putPath, status: 502, times: 100))
            let result = try await world.rotator(["run"])
            expectOldTokenKept(world, old: old, result)
            #expect(puts(world).count == 4, "bounded: 4 attempts in all")
            #expect(result.stderr.contains("HTTP 502"))
        }
    }

    @Test("a 429 with Retry-After is waited out, then the rotation completes")
    func retryAfter429() async throws {
        try await Scenario.with { world in
            let old = try dueWorld(world)
            world.github.inject(InjectedFault(method: "PUT", pathContains: Self.putPath, status: 429, headers: ["Retry-After": "1"]))
            let result = try await world.rotator(["run"])
            try expectRotated(world, old: old, result)
            let attempts = puts(world)
            #expect(attempts.count == 2)
            if attempts.count == 2 {
                #expect(attempts[1].at.timeIntervalSince(attempts[0].at) >= 0.95, "Retry-After: 1 must be honoured")
            }
        }
    }

    @Test("GitHub's secondary rate limit (403 + retry-after) pauses every GitHub request, then completes")
    func secondaryRateLimit() async throws {
        try await Scenario.with { world in
            let old = try dueWorld(world)
            world.github.inject(InjectedFault(
                method: "PUT", pathContains: Self.putPath, status: 403,
                body: #"{"message":"You have exceeded a secondary rate limit and have been temporarily blocked from content creation. Please retry your request again later.","documentation_url":"https://docs.github.com/rest"}"#,
                headers: ["retry-after": "1"]
            ))
            let arrivals = Mutex<[(path: String, phase: ObservedRequest.Phase, status: Int?, at: ContinuousClock.Instant)]>([])
            world.onRequest { request in
                guard request.path.hasPrefix("/repos/") else { return }
                arrivals.withLock { $0.append((request.path, request.phase, request.status, .now)) }
            }
            let result = try await world.rotator(["run"])
            try expectRotated(world, old: old, result)
            let log = arrivals.withLock { $0 }
            let limited = log.first { $0.phase == .handled && $0.status == 403 }?.at
            #expect(limited != nil)
            if let limited {
                // Requests already in flight may land just after; none may start during the pause.
                let during = log.filter { $0.phase == .received && $0.at > limited.advanced(by: .milliseconds(50)) && $0.at < limited.advanced(by: .milliseconds(950)) }
                #expect(during.isEmpty, "no request to the paused host: \(during.map(\.path))")
            }
        }
    }

    @Test("GitHub's primary limit (403, x-ratelimit-remaining 0) waits for x-ratelimit-reset")
    func primaryRateLimit() async throws {
        try await Scenario.with { world in
            let old = try dueWorld(world)
            let reset = Int(Date().timeIntervalSince1970) + 2
            world.github.inject(InjectedFault(
                method: "PUT", pathContains: Self.putPath, status: 403,
                body: #"{"message":"API rate limit exceeded for user ID 1."}"#,
                headers: ["x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset)]
            ))
            let result = try await world.rotator(["run"])
            try expectRotated(world, old: old, result)
            let attempts = puts(world)
            #expect(attempts.count == 2)
            if let retry = attempts.last { #expect(retry.at.timeIntervalSince1970 >= Double(reset) - 1.05) }
        }
    }

    @Test("a hung request times out and is retried")
    func hangOnce() async throws {
        try await Scenario.with { world in
            let old = try dueWorld(world, httpTimeoutSeconds: 1)
            world.github.inject(.hang(method: "PUT", pathContains: Self.putPath))
            let result = try await world.rotator(["run"])
            try expectRotated(world, old: old, result)
            #expect(result.stderr.contains("timed out"), "the retry is logged with its reason")
        }
    }

    @Test("a service that never answers fails the rotation, old token valid, the target counted as maybe written")
    func hangAlways() async throws {
        try await Scenario.with { world in
            let old = try dueWorld(world, httpTimeoutSeconds: 1)
            world.github.inject(.hang(method: "PUT", pathContains: Self.putPath, times: 100))
            let result = try await world.rotator(["run", "--only", "api-production-ci"])
            expectOldTokenKept(world, old: old, result)
            #expect(result.stderr.contains("timed out after 1s"))
        }
    }

    @Test("a dropped connection is retried")
    func droppedOnce() async throws {
        try await Scenario.with { world in
            let old = try dueWorld(world)
            world.github.inject(.dropConnection(method: "PUT", pathContains: Self.putPath))
            let result = try await world.rotator(["run"])
            try expectRotated(world, old: old, result)
        }
    }

    @Test("a PUT applied but whose answer is lost, every time: both tokens stay live, the next run converges")
    func appliedButLost() async throws {
        try await Scenario.with { world in
            let old = try dueWorld(world)
            world.github.inject(.applyThenDrop(method: "PUT", pathContains: Self.putPath, times: 4))
            let failed = try await world.rotator(["run", "--only", "api-production-ci"])
            expectOldTokenKept(world, old: old, failed)
            // The secret did change: the new token is on it and must stay live.
            let landed = try #require(world.token(withValue: world.githubSecret("acme/api")))
            #expect(landed.isLive)
            // The other target was pushed concurrently and holds it too.
            #expect(failed.stderr.contains("2 target(s) already hold the new token"), "\(failed.stderr)")
            let retried = try await world.rotator(["run", "--only", "api-production-ci"])
            try expectRotated(world, old: old, retried)
            #expect(world.envshed.token(id: landed.id)?.revokedAt != nil)
        }
    }

    @Test("a create answered 500 is checked against the list, then tried again: one token")
    func create500Once() async throws {
        try await Scenario.with { world in
            let old = try dueWorld(world)
            world.envshed.inject(InjectedFault(method: "POST", pathContains: "/service-tokens/", status: 500))
            let result = try await world.rotator(["run", "--only", "api-production-ci"])
            try expectRotated(world, old: old, result)
            #expect(world.envshed.requests.filter { $0.method == "POST" }.map(\.status) == [500, 201])
            #expect(world.envshed.tokens.count == 2, "the old token and exactly one new one")
        }
    }

    @Test("a create that took effect but whose answer was lost: the orphan is found by its marker and revoked")
    func createAnswerLost() async throws {
        try await Scenario.with { world in
            let old = try dueWorld(world)
            world.envshed.inject(.applyThenDrop(method: "POST", pathContains: "/service-tokens/"))
            let result = try await world.rotator(["run", "--only", "api-production-ci"])
            try expectRotated(world, old: old, result)
            let created = world.envshed.tokens.filter { $0.description?.contains("managed-by=envshed-rotator") == true }
            #expect(created.count == 2)
            #expect(created.filter(\.isLive).count == 1, "the token whose answer was lost is revoked")
            #expect(created.first?.revokedAt != nil)
        }
    }

    @Test("malformed JSON from the test pull fails verification; old token valid")
    func malformedPull() async throws {
        try await Scenario.with { world in
            let old = try dueWorld(world)
            world.envshed.inject(.malformedJSON(method: "GET", pathContains: "/api/v1/secrets/", times: 100))
            let result = try await world.rotator(["run", "--only", "api-production-ci"])
            expectOldTokenKept(world, old: old, result)
            #expect(result.stderr.contains("answered something this version cannot read"))
        }
    }

    @Test("malformed JSON from the token list stops the run before anything changes")
    func malformedList() async throws {
        try await Scenario.with { world in
            let old = try dueWorld(world)
            world.envshed.inject(.malformedJSON(method: "GET", pathContains: "/service-tokens/", times: 100))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 1, "\(result.all)")
            #expect(result.stderr.contains("nothing was changed"))
            #expect(world.writeRequests.isEmpty)
            #expect(world.envshed.token(id: old)?.isLive == true)
        }
    }

    @Test("two runs started together: exactly one rotates, the other exits 75 naming the holder")
    func twoRunsAtOnce() async throws {
        try await Scenario.with { world in
            _ = try dueWorld(world)
            world.envshed.setLatency(.milliseconds(150))
            let first = try world.startRotator(["run"])
            let second = try world.startRotator(["run"])
            let results = [try await first.wait(), try await second.wait()]
            #expect(Set(results.map(\.exitCode)) == [0, 75], "\(results.map(\.all))")
            let loser = try #require(results.first { $0.exitCode == 75 })
            let winner = results.first { $0.exitCode == 0 } == nil ? nil : (results[0].exitCode == 0 ? first.pid : second.pid)
            #expect(loser.stderr.contains("pid=\(winner ?? -1)"), "\(loser.stderr)")
            #expect(world.envshed.requests.filter { $0.method == "POST" }.count == 2, "one create per due rotation, from one run")
        }
    }

    @Test("--wait-for-lock waits for the holder, then runs")
    func waitForLock() async throws {
        try await Scenario.with { world in
            _ = try dueWorld(world)
            world.envshed.setLatency(.milliseconds(100))
            let first = try world.startRotator(["run"])
            // The first run holds the lock once it talks to Envshed (it lists tokens under the lock).
            let deadline = ContinuousClock.now + .seconds(20)
            while world.envshed.requests.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            let second = try world.startRotator(["run", "--wait-for-lock", "30"])
            let results = [try await first.wait(), try await second.wait()]
            #expect(results.map(\.exitCode) == [0, 0], "\(results.map(\.all))")
            #expect(results[1].stdout.contains("0 rotated, 2 not due"), "the second run found nothing left to do: \(results[1].stdout)")
        }
    }
}
