import Foundation
import RotatorEmulators
import Testing

/// The plan's budgets, observed at the emulators: `concurrency` (rotations in flight),
/// `max_concurrent` (requests in flight to one host, shared by every rotation) and
/// `writes_per_minute` (writes to one host, evenly paced). Each test makes the budget bind — slow
/// services, more rotations than the budget — and checks both that it held and that it was
/// reached, so that a budget ignored or a run made serial both fail.
@Suite("Budgets: concurrency, max_concurrent, writes_per_minute (real binary)", .serialized, .timeLimit(.minutes(5)))
struct BudgetTests {
    /// `count` due rotations, each writing its own repository `acme/svc-N`.
    private func dueRotations(_ world: Scenario, count: Int) -> [Scenario.PlannedRotation] {
        (0..<count).map { index in
            world.github.addRepository("acme/svc-\(index)", id: 7_000 + index)
            let old = world.seedToken(expiresInDays: 2)
            return .init(id: "svc-\(index)", adopt: old.id, targets: ["github: { repo: acme/svc-\(index), secret: ENVSHED_TOKEN }"])
        }
    }

    @Test("concurrency: 2 keeps at most two of six rotations in flight (create to revoke), and reaches two")
    func rotationConcurrency() async throws {
        try await Scenario.with { world in
            try world.writePlan(world.rotationsPlan(dueRotations(world, count: 6), concurrency: 2))
            world.envshed.setLatency(.milliseconds(150))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            // One create and one revoke per rotation: between the two, the rotation is in flight.
            var inFlight = 0
            var most = 0
            for event in world.events where event.host == .envshed {
                if event.isArrival && event.request.method == "POST" { inFlight += 1 }
                if !event.isArrival && event.request.method == "DELETE" { inFlight -= 1 }
                most = max(most, inFlight)
            }
            #expect(most == 2, "rotations in flight at once: \(most), the plan allows 2")
            #expect(world.envshed.requests.filter { $0.method == "DELETE" }.count == 6)
        }
    }

    @Test("max_concurrent: 2 on GitHub caps requests in flight to it across eight concurrent rotations, and is reached")
    func hostConcurrency() async throws {
        try await Scenario.with { world in
            try world.writePlan(world.rotationsPlan(dueRotations(world, count: 8), concurrency: 8, maxConcurrent: 2))
            world.github.setLatency(.milliseconds(150))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            #expect(world.github.maxConcurrentRequests == 2, "GitHub answered \(world.github.maxConcurrentRequests) at once; max_concurrent is 2")
        }
    }

    @Test("writes_per_minute: 120 spaces GitHub writes of four concurrent rotations at least half a second apart")
    func writePacing() async throws {
        try await Scenario.with { world in
            try world.writePlan(world.rotationsPlan(dueRotations(world, count: 4), concurrency: 4, writesPerMinute: 120))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            let writes = world.events.filter { $0.host == .github && $0.isArrival && $0.request.isWrite }.map(\.at)
            #expect(writes.count == 4)
            // 120 a minute is one every 500 ms. On a busy machine a write may reach the emulator up
            // to half a second after the transport released it, which moves it closer to the next
            // one; a burst puts all four inside one such window. So: no more than two writes in any
            // 450 ms, and the four spread over at least a second (1.5 s minus one late write).
            let since = writes.map { (writes.first ?? $0).duration(to: $0) }
            #expect(world.github.maxWrites(within: .milliseconds(450)) <= 2, "\(since)")
            #expect((since.last ?? .zero) >= .seconds(1), "\(since)")
        }
    }
}
