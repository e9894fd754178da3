import Foundation
import RotatorEmulators
import Synchronization
import Testing

/// One test per fault kind the services can throw at the bot. Transient faults are retried and
/// the rotation completes; persistent ones fail it with the old token valid. Every test also runs
/// the live I1 monitor (`Scenario.with`): no token is revoked while a target still holds it.
@Suite("Faults: retries, rate limits, timeouts, dropped connections (real binary)", .serialized, .timeLimit(.minutes(5)))
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

    /// Three rotations due at once: `gh-api` (its PUT gets the rate-limit answer), `gh-web` on the
    /// same GitHub host (its PUT is held back 400 ms, so it falls inside the pause), and `gl-api`
    /// on GitLab (slow, 300 ms a request, so its requests keep coming during the pause). Returns
    /// the adopted token of `gh-api`.
    private func rateLimitedWorld(_ world: Scenario) throws -> String {
        let old = world.seedToken(expiresInDays: 5)
        try world.writePlan(world.rotationsPlan([
            .init(id: "gh-api", adopt: old.id, targets: ["github: { repo: acme/api, secret: ENVSHED_TOKEN }"]),
            .init(id: "gh-web", adopt: nil, targets: ["github: { repo: acme/web, secret: ENVSHED_TOKEN }"]),
            .init(id: "gl-api", adopt: nil, targets: ["gitlab: { project: acme/api, variable: ENVSHED_TOKEN }"]),
        ]))
        world.github.inject(.delay(.milliseconds(400), method: "GET", pathContains: "/repos/acme/web/actions/secrets/public-key"))
        // Slow enough that the GitLab rotation is still sending while GitHub is paused: the test
        // pull comes before the pushes, so the GitHub rotations send nothing anywhere meanwhile.
        world.gitlab.setLatency(.milliseconds(1_200))
        return old.id
    }

    /// The limited answer came at `limited`; GitHub must next hear from the bot no earlier than
    /// `resume`, nothing may reach GitHub in between (the pause is host-wide), and the other
    /// hosts must have been used meanwhile (the pause is not global).
    private func expectPaused(
        _ world: Scenario, limited: ObservedEvent, resume: ContinuousClock.Instant, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let events = world.events
        let timeline = events.map { "\(limited.at.duration(to: $0.at)) \($0.line)" }.joined(separator: "\n")
        let arrivals = events.filter { $0.isArrival && $0.at > limited.at }
        // A request already on its way when the answer left may land just after it.
        let github = arrivals.filter { $0.host == .github && $0.at > limited.at.advanced(by: .milliseconds(50)) }
        let firstAfter = github.first
        #expect(firstAfter != nil, "GitHub never heard from the bot again:\n\(timeline)", sourceLocation: sourceLocation)
        if let firstAfter {
            #expect(firstAfter.at >= resume, "GitHub was called \(firstAfter.at.duration(to: resume)) before the pause ended:\n\(timeline)", sourceLocation: sourceLocation)
        }
        let others = arrivals.filter { $0.host != .github && $0.at > limited.at.advanced(by: .milliseconds(50)) && $0.at < resume }
        #expect(!others.isEmpty, "no request to another host during GitHub's pause: the pause must be GitHub's only\n\(timeline)", sourceLocation: sourceLocation)
    }

    private func limitedAnswer(_ world: Scenario, status: Int) throws -> ObservedEvent {
        let answered = world.events.first { (event: ObservedEvent) in
            event.host == .github && event.request.phase == .handled && event.request.status == status
        }
        return try #require(answered, "no \(status) was answered")
    }

    // https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
    // "If the retry-after response header is present, you should not retry your request until
    // after that many seconds has elapsed."
    @Test("a 429 with Retry-After: 2 pauses GitHub 2 s (both rotations writing to it) while GitLab and Envshed carry on; then it completes")
    func retryAfter429() async throws {
        try await Scenario.with { world in
            let old = try rateLimitedWorld(world)
            world.github.inject(InjectedFault(method: "PUT", pathContains: Self.putPath, status: 429, headers: ["Retry-After": "2"]))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            #expect(world.envshed.token(id: old)?.revokedAt != nil)
            #expect(world.token(withValue: world.githubSecret("acme/api"))?.isLive == true)
            #expect(puts(world).count == 2)
            let limited = try limitedAnswer(world, status: 429)
            expectPaused(world, limited: limited, resume: limited.at.advanced(by: .seconds(2)))
        }
    }

    // https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#handle-rate-limit-errors-appropriately
    // Secondary limits answer 403 (or 429) with retry-after; the client must wait that long.
    @Test("GitHub's secondary rate limit (403 + retry-after: 2) pauses every GitHub request 2 s, not the other hosts; then it completes")
    func secondaryRateLimit() async throws {
        try await Scenario.with { world in
            let old = try rateLimitedWorld(world)
            world.github.inject(InjectedFault(
                method: "PUT", pathContains: Self.putPath, status: 403,
                body: #"{"message":"You have exceeded a secondary rate limit and have been temporarily blocked from content creation. Please retry your request again later.","documentation_url":"https://docs.github.com/rest"}"#,
                headers: ["retry-after": "2"]
            ))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            #expect(world.envshed.token(id: old)?.revokedAt != nil)
            let limited = try limitedAnswer(world, status: 403)
            expectPaused(world, limited: limited, resume: limited.at.advanced(by: .seconds(2)))
        }
    }

    // https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
    // "If the x-ratelimit-remaining header is 0, you should not retry your request until after
    // the time specified by the x-ratelimit-reset header" (UTC epoch seconds).
    @Test("GitHub's primary limit (403, x-ratelimit-remaining 0) pauses GitHub until x-ratelimit-reset, not the other hosts")
    func primaryRateLimit() async throws {
        try await Scenario.with { world in
            let old = try rateLimitedWorld(world)
            let reset = Int(Date().timeIntervalSince1970) + 3
            world.github.inject(InjectedFault(
                method: "PUT", pathContains: Self.putPath, status: 403,
                body: #"{"message":"API rate limit exceeded for user ID 1."}"#,
                headers: ["x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset)]
            ))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            #expect(world.envshed.token(id: old)?.revokedAt != nil)
            #expect(puts(world).count == 2)
            let limited = try limitedAnswer(world, status: 403)
            let untilReset = Date(timeIntervalSince1970: Double(reset)).timeIntervalSince(limited.date)
            expectPaused(world, limited: limited, resume: limited.at.advanced(by: .milliseconds(Int(untilReset * 1000))))
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

    @Test("a service that never answers fails the rotation, old token valid, the hung target counted as maybe holding the new token")
    func hangAlways() async throws {
        try await Scenario.with { world in
            let old = try dueWorld(world, httpTimeoutSeconds: 1)
            world.github.inject(.hang(method: "PUT", pathContains: Self.putPath, times: 100))
            let result = try await world.rotator(["run", "--only", "api-production-ci"])
            expectOldTokenKept(world, old: old, result)
            #expect(result.stderr.contains("timed out after 1s"))
            // acme/api never answered, so it may hold the new token; the environment secret does.
            #expect(result.stderr.contains("2 target(s) already hold the new token"), "\(result.stderr)")
            let new = try #require(world.token(withValue: world.githubSecret("acme/api", environment: "production")))
            #expect(new.isLive, "a token a target may hold is never revoked")
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

    @Test("a create that took effect but was answered 500 is settled against the token list: no second live token, the landed one used or revoked")
    func create500Once() async throws {
        try await Scenario.with { world in
            let old = try dueWorld(world)
            world.envshed.inject(.applyThenAnswer(500, method: "POST", pathContains: "/service-tokens/"))
            let result = try await world.rotator(["run", "--only", "api-production-ci"])
            try expectRotated(world, old: old, result)
            let created = world.envshed.tokens.filter { $0.id != old }
            let landed = try #require(created.first, "the faulted create took effect")
            let current = try #require(world.token(withValue: world.githubSecret("acme/api")))
            #expect(landed.id == current.id || landed.revokedAt != nil, "the token the 500 hid is either the one in use or revoked")
            #expect(created.filter(\.isLive).count == 1, "one live new token, not two: \(created.map { "\($0.id) live=\($0.isLive)" })")
            // Settled against the list: after the 500, the bot listed the tokens before creating again.
            let envshed = world.events.filter { $0.host == .envshed && $0.isArrival }.map { "\($0.request.method) \($0.request.path)" }
            let faulted = try #require(envshed.firstIndex { $0.hasPrefix("POST ") })
            let after = envshed[(faulted + 1)...]
            let nextCreate = after.firstIndex { $0.hasPrefix("POST ") } ?? after.endIndex
            #expect(after[..<nextCreate].contains { $0.hasPrefix("GET /api/v1/service-tokens/") }, "no token list between the 500 and what followed: \(envshed)")
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
