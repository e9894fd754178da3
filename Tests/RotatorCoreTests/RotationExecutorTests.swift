import Foundation
import Logging
@testable import RotatorCore
import RotatorEmulators
import Testing

/// `RotationExecutor` on its own: the Envshed emulator on loopback behind a recording transport,
/// file targets, the SQLite state in a temporary folder and the test clock. Each test looks at
/// the world at the moment each request leaves, so the order of create, pull, push, read-back and
/// revoke is observed, not inferred from the log.
@Suite("Rotation executor", .timeLimit(.minutes(2)))
struct RotationExecutorTests {
    static let projectID = "3f1c2b7e-5a1d-4c3e-9b8a-2d4f6e8a0c11"
    static let productionID = "9ab2c4d6-1e3f-4a5b-8c7d-0e1f2a3b4c5d"

    /// One rotation world: rotations `a` and `b` each adopt a live token that their file holds.
    final class World: Sendable {
        let envshed: EnvshedEmulator
        let server: EmulatorServer
        let directory: String
        let plan: Plan
        let adopted: [String: (id: String, value: String)]
        let clock = VirtualClock()
        let admin: String

        init() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rotator-exec-\(UUID().uuidString.prefix(8))").path
            self.directory = directory
            try FileManager.default.createDirectory(atPath: directory + "/state", withIntermediateDirectories: true)
            let admin = "envshed_admin_" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
            self.admin = admin
            let envshed = EnvshedEmulator(org: "acme", adminToken: admin)
            self.envshed = envshed
            envshed.addProject(slug: "api", id: RotationExecutorTests.projectID)
            envshed.addEnvironment(project: "api", slug: "production", id: RotationExecutorTests.productionID, secrets: ["DATABASE_URL": "postgres://db"])
            var adopted: [String: (id: String, value: String)] = [:]
            for id in ["a", "b"] {
                let token = envshed.seedToken(
                    name: "hand-made \(id)", scope: "environment", projectID: RotationExecutorTests.projectID, environmentID: RotationExecutorTests.productionID,
                    permission: "read", expiresAt: Date().addingTimeInterval(90 * 86_400)
                )
                adopted[id] = token
                try Data(token.value.utf8).write(to: URL(fileURLWithPath: directory + "/\(id).token"))
            }
            self.adopted = adopted
            let rotations = ["a", "b"].map { id in
                """
                  - id: \(id)
                    purpose: Rotation \(id)
                    scope: environment
                    project: { slug: api, id: \(RotationExecutorTests.projectID) }
                    environment: { slug: production, id: \(RotationExecutorTests.productionID) }
                    adopt: { token_id: \(adopted[id]!.id) }
                    targets:
                      - file: { path: \(directory)/\(id).token }
                """
            }.joined(separator: "\n")
            plan = try PlanLoader.parse(
                "version: 1\nenvshed:\n  org: acme\n  token: env:ENVSHED_TOKEN\ndefaults:\n  expires_in_days: 30\n  rotate_before_days: 7\nrotations:\n"
                    + rotations + "\n",
                file: "plan.yaml"
            )
            server = try await envshed.start()
        }

        func stop() async {
            await server.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }

        func file(_ id: String) -> String? {
            (try? Data(contentsOf: URL(fileURLWithPath: directory + "/\(id).token"))).map { String(decoding: $0, as: UTF8.self) }
        }

        func rotation(_ id: String) -> Rotation { plan.rotations.first { $0.id == id }! }

        /// Everything the executor needs; one run id for every rotation of the "run", as `run` does.
        func executor(transport: any HTTPTransport, store: SQLiteStateStore, runID: String = "run000000001") -> RotationExecutor {
            let clock = clock
            let envshedClient = EnvshedClient(transport: transport, baseURL: server.baseURL, org: "acme", credential: Secret(admin))
            let journal = RunJournal(runID: runID, store: store, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            return RotationExecutor(
                envshed: envshedClient, targets: TargetFactory(github: nil, now: { clock.now() }), store: store, journal: journal,
                now: { clock.now() }, sleep: { try await clock.sleep($0) }
            )
        }

        func decide(_ id: String, store: SQLiteStateStore, reserved: Set<String> = []) throws -> RotationDecision {
            let listed = envshed.tokens.filter(\.isLive).map { token in
                ServiceToken(id: token.id, name: token.name, description: token.description, scope: .environment, permission: .read, expiresAt: token.expiresAt)
            }
            return RotationPlanner(now: clock.now()).decide(rotation(id), record: try store.rotation(id), liveTokens: listed, force: true, reservedNames: reserved)
        }

        var store: SQLiteStateStore {
            get throws { try SQLiteStateStore(directory: directory + "/state") }
        }
    }

    static func with(_ body: (World) async throws -> Void) async throws {
        let world = try await World()
        do {
            try await body(world)
        } catch {
            await world.stop()
            throw error
        }
        await world.stop()
    }

    /// What a request is, for the order of events: create, list, pull, revoke.
    static func kind(_ request: HTTPRequest) -> String {
        let path = request.url.path
        switch request.method {
        case "POST": return "create"
        case "DELETE": return "revoke " + (path.split(separator: "/").last.map(String.init) ?? "")
        default: return path.contains("/secrets/") ? "pull" : "list"
        }
    }

    @Test("Issue 10 (3): the new token pulls before any target gets it, and the old one is revoked only once the target holds the new one")
    func createPullPushReadBackRevoke() async throws {
        try await Self.with { world in
            let observed = RecordingTransport(ProductionTransport.make()) { [world] request in
                "\(Self.kind(request)) file=\(world.file("a") == world.adopted["a"]!.value ? "old" : "new")"
            }
            let store = try world.store
            let outcome = try await world.executor(transport: observed, store: store).execute(try world.decide("a", store: store))
            guard case .rotated(let token, _) = outcome.result else {
                Issue.record("not rotated: \(outcome.result)")
                return
            }
            let oldID = world.adopted["a"]!.id
            // List calls (settling, re-reading an answer) may come anywhere; the order of the rest may not change.
            #expect(observed.events.filter { !$0.hasPrefix("list") } == ["create file=old", "pull file=old", "revoke \(oldID) file=new"])
            #expect(world.file("a") == world.envshed.token(id: token.id)?.value)
            #expect(world.envshed.token(id: oldID)?.revokedAt != nil)
            #expect(outcome.revokedTokenIDs == [oldID])
        }
    }

    @Test("Issue 10 (3): a new token that cannot pull is revoked at once and reaches no target; the old one stays live")
    func failedPullReachesNoTarget() async throws {
        try await Self.with { world in
            world.envshed.inject(InjectedFault(method: "GET", pathContains: "/api/v1/secrets/", status: 403, times: 100))
            let store = try world.store
            let transport = ProductionTransport.make()
            let outcome = try await world.executor(transport: transport, store: store).execute(try world.decide("a", store: store))
            #expect(outcome.failure != nil, "\(outcome.result)")
            #expect(world.file("a") == world.adopted["a"]!.value, "the target got a token that cannot pull")
            let created = world.envshed.tokens.filter { ManagedMarker.parse($0.description)?.rotationID == "a" }
            #expect(created.count == 1)
            #expect(created.allSatisfy { $0.revokedAt != nil }, "the token that failed its pull is still live")
            #expect(world.envshed.token(id: world.adopted["a"]!.id)?.revokedAt == nil)
        }
    }

    @Test("Issue 10 (1): settling rotation b's lost create never revokes rotation a's token of the same run")
    func lostCreateAnswerTouchesOnlyItsRotation() async throws {
        try await Self.with { world in
            let store = try world.store
            let transport = ProductionTransport.make()
            let executor = world.executor(transport: transport, store: store)
            let first = try await executor.execute(try world.decide("a", store: store))
            guard case .rotated(let tokenA, _) = first.result else {
                Issue.record("a not rotated: \(first.result)")
                return
            }
            // b's create lands, but its answer is lost: the executor must find b's token, not a's.
            world.envshed.inject(.applyThenDrop(method: "POST", pathContains: "/service-tokens/"))
            _ = try await executor.execute(try world.decide("b", store: store, reserved: [tokenA.name]))
            #expect(world.envshed.token(id: tokenA.id)?.revokedAt == nil, "rotation b revoked rotation a's new token")
            #expect(world.file("a") == world.envshed.token(id: tokenA.id)?.value)
            #expect(try store.managedTokens(rotation: "a").contains { $0.tokenID == tokenA.id && $0.rotationID == "a" })
        }
    }

    @Test("revokeUnheld never revokes a token a target may hold, and revokes it once nothing may")
    func revokeUnheldRespectsHoldings() async throws {
        try await Self.with { world in
            let store = try world.store
            let leftover = world.envshed.seedToken(
                name: "leftover", scope: "environment", projectID: RotationExecutorTests.projectID, environmentID: RotationExecutorTests.productionID, permission: "read",
                expiresAt: Date().addingTimeInterval(30 * 86_400)
            )
            try store.save(ManagedToken(
                tokenID: leftover.id, rotationID: "a", origin: .created, name: "leftover", fingerprint: nil, expiresAt: nil, serial: 1,
                runID: "earlier", status: .pending, createdAt: world.clock.now()
            ))
            let target = world.rotation("a").targets[0]
            try store.save(TargetRecord(
                rotationID: "a", identity: target.identity, label: target.label, possibleTokenIDs: [world.adopted["a"]!.id, leftover.id],
                verifiedTokenID: nil, providerUpdatedAt: nil, updatedAt: world.clock.now()
            ))
            let executor = world.executor(transport: ProductionTransport.make(), store: store)
            let held = try await executor.revokeUnheld(world.rotation("a"), currentTokenID: world.adopted["a"]!.id)
            #expect(held.revoked.isEmpty)
            #expect(world.envshed.token(id: leftover.id)?.revokedAt == nil)

            try store.save(TargetRecord(
                rotationID: "a", identity: target.identity, label: target.label, possibleTokenIDs: [world.adopted["a"]!.id],
                verifiedTokenID: world.adopted["a"]!.id, providerUpdatedAt: nil, updatedAt: world.clock.now()
            ))
            let unheld = try await executor.revokeUnheld(world.rotation("a"), currentTokenID: world.adopted["a"]!.id)
            #expect(unheld.revoked == [leftover.id])
            #expect(world.envshed.token(id: leftover.id)?.revokedAt != nil)
            #expect(world.envshed.token(id: world.adopted["a"]!.id)?.revokedAt == nil, "the current token was revoked")
        }
    }
}
