import Foundation
import RotatorEmulators
import Testing

/// Several rotations whose targets are keys of ONE Kubernetes Secret, through the real binary.
/// Server-side apply removes a field that a manager applied before and leaves out now, when no
/// other manager owns it (https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management);
/// with one field manager for every target, each rotation's apply deleted the others' keys.
@Suite("Kubernetes: rotations sharing one Secret keep each other's keys (real binary, SSA emulator)", .serialized)
struct KubernetesSharedSecretTests {
    static let rotations = [("kube-a", "TOKEN_A"), ("kube-b", "TOKEN_B"), ("kube-c", "TOKEN_C")]

    /// A plan whose rotations each write one key of Secret `api/shared`; `kube-a` also writes the
    /// GitHub secret of `acme/api`, so the rotations share hosts as well. `adopt` maps a rotation
    /// to the token it adopts.
    static func plan(_ world: Scenario, rotations: [(id: String, key: String)], adopt: [String: String]) -> String {
        world.rotationsPlan(rotations.map { rotation in
            Scenario.PlannedRotation(
                id: rotation.id, adopt: adopt[rotation.id],
                targets: ["kubernetes: { namespace: api, secret: shared, key: \(rotation.key) }"]
                    + (rotation.id == "kube-a" ? ["github: { repo: acme/api, secret: ENVSHED_TOKEN }"] : [])
            )
        })
    }

    /// Seeds one due token per rotation and writes the plan of them all.
    static func dueWorld(_ world: Scenario, _ rotations: [(id: String, key: String)] = rotations) throws -> [String: (id: String, value: String)] {
        var old: [String: (id: String, value: String)] = [:]
        for (id, _) in rotations { old[id] = world.seedToken(expiresInDays: 3) }
        try world.writePlan(plan(world, rotations: rotations, adopt: old.mapValues(\.id)))
        return old
    }

    /// The newest token the bot created for `rotation` (highest serial of its marker).
    static func currentToken(_ world: Scenario, of rotation: String) -> EmulatedServiceToken? {
        func serial(_ token: EmulatedServiceToken) -> Int {
            token.description?.split(separator: " ").first { $0.hasPrefix("serial=") }.flatMap { Int($0.dropFirst("serial=".count)) } ?? -1
        }
        return world.envshed.tokens
            .filter { $0.description?.split(separator: " ").contains("rotation=\(rotation)") == true }
            .max { serial($0) < serial($1) }
    }

    static func value(_ world: Scenario, _ key: String) -> String? {
        world.kubernetes.secretValue(namespace: "api", name: "shared", key: key)
    }

    /// Every key holds the live current token of its rotation, each a different one, and is owned
    /// by its own manager alone (`envshed-rotator/KEY`, or a 128-byte name for a long key).
    static func expectEveryKeyCurrent(
        _ world: Scenario, _ rotations: [(String, String)] = rotations, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var seen = Set<String>()
        for (rotation, key) in rotations {
            let held = value(world, key)
            #expect(held != nil, "\(key) was pruned", sourceLocation: sourceLocation)
            let current = currentToken(world, of: rotation)
            #expect(current?.isLive == true, "\(rotation) has no live token", sourceLocation: sourceLocation)
            #expect(held == current?.value, "\(key) does not hold \(rotation)'s current token", sourceLocation: sourceLocation)
            if let held { seen.insert(held) }
            let owners = world.kubernetes.secret(namespace: "api", name: "shared")?.owners(of: key) ?? []
            let expected = "envshed-rotator/\(key)"
            #expect(owners.count == 1 && (expected.utf8.count <= 128 ? owners == [expected] : owners.first?.utf8.count == 128), "\(owners)", sourceLocation: sourceLocation)
        }
        #expect(seen.count == rotations.count, "each key holds its own rotation's token", sourceLocation: sourceLocation)
    }

    @Test("three rotations write three keys of one Secret: after the run and after a forced rotation of one, every key holds its rotation's token")
    func threeKeysOneSecret() async throws {
        try await Scenario.with { world in
            world.kubernetes.addSecret(namespace: "api", name: "shared", data: ["OTHER": "keep-me"])
            _ = try Self.dueWorld(world)
            let first = try await world.rotator(["run"])
            #expect(first.exitCode == 0, "\(first.all)")
            Self.expectEveryKeyCurrent(world)
            #expect(Self.value(world, "OTHER") == "keep-me")
            #expect(world.githubSecret("acme/api") == Self.currentToken(world, of: "kube-a")?.value)
            let applies = world.kubernetes.requests.filter { $0.method == "PATCH" && $0.path.hasSuffix("/secrets/shared") }
            #expect(Set(applies.compactMap(\.query)) == Set(Self.rotations.map { "fieldManager=envshed-rotator%2F\($0.1)&force=true" }))

            let before = try #require(Self.value(world, "TOKEN_B"))
            let unchanged = (Self.value(world, "TOKEN_A"), Self.value(world, "TOKEN_C"))
            let second = try await world.rotator(["rotate", "kube-b", "--reason", "rotate one key of a shared Secret", "--yes"])
            #expect(second.exitCode == 0, "\(second.all)")
            #expect(Self.value(world, "TOKEN_B") != before, "kube-b rotated")
            #expect(Self.value(world, "TOKEN_A") == unchanged.0 && Self.value(world, "TOKEN_C") == unchanged.1)
            Self.expectEveryKeyCurrent(world)
            #expect(Self.value(world, "OTHER") == "keep-me")
            try world.expectNoSecretsLeaked([first, second])
        }
    }

    @Test("two keys too long for a 128-byte field manager, alike in their first 150 characters, get managers of their own")
    func longKeys() async throws {
        try await Scenario.with { world in
            let stem = String(repeating: "k", count: 150)
            let rotations = [("kube-a", stem + "_A"), ("kube-b", stem + "_B")]
            _ = try Self.dueWorld(world, rotations)
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            Self.expectEveryKeyCurrent(world, rotations)
            let managers = world.kubernetes.secret(namespace: "api", name: "shared")?.managedFields.map(\.manager) ?? []
            #expect(Set(managers).count == 2 && managers.allSatisfy { $0.hasPrefix("envshed-rotator/" + stem.prefix(20)) }, "\(managers)")
        }
    }

    @Test("a target removed from the plan keeps its key and its token while the other rotations run")
    func removedTargetKeepsItsKey() async throws {
        try await Scenario.with { world in
            _ = try Self.dueWorld(world)
            let first = try await world.rotator(["run"])
            #expect(first.exitCode == 0, "\(first.all)")
            let kept = try #require(Self.value(world, "TOKEN_B"))

            let remaining = Self.rotations.filter { $0.0 != "kube-b" }
            try world.writePlan(Self.plan(world, rotations: remaining, adopt: [:]))
            for (rotation, _) in remaining {
                let result = try await world.rotator(["rotate", rotation, "--reason", "rotate after kube-b left the plan", "--yes"])
                #expect(result.exitCode == 0, "\(result.all)")
            }
            #expect(Self.value(world, "TOKEN_B") == kept, "the tool never deletes: the key stays as kube-b left it")
            #expect(world.token(withValue: kept)?.isLive == true)
            #expect(world.kubernetes.secret(namespace: "api", name: "shared")?.owners(of: "TOKEN_B") == ["envshed-rotator/TOKEN_B"])
            Self.expectEveryKeyCurrent(world, remaining)
        }
    }

    @Test("migration: keys the old single manager envshed-rotator applied are taken over key by key; nothing is pruned, a removed target's key stays")
    func migrationFromSingleManager() async throws {
        try await Scenario.with { world in
            var old: [String: (id: String, value: String)] = [:]
            for (id, _) in Self.rotations { old[id] = world.seedToken(expiresInDays: 3) }
            // As the previous release left it: every key applied under the one manager.
            var data: [String: String] = [:]
            for (id, key) in Self.rotations { data[key] = old[id]?.value }
            world.kubernetes.addSecret(namespace: "api", name: "shared", data: data, manager: "envshed-rotator", operation: .apply)
            // kube-b's target left the plan in the same upgrade.
            let remaining = Self.rotations.filter { $0.0 != "kube-b" }
            try world.writePlan(Self.plan(world, rotations: remaining, adopt: old.mapValues(\.id)))

            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            Self.expectEveryKeyCurrent(world, remaining)
            #expect(Self.value(world, "TOKEN_B") == old["kube-b"]?.value, "left as it was, with its old owner")
            #expect(world.kubernetes.secret(namespace: "api", name: "shared")?.owners(of: "TOKEN_B") == ["envshed-rotator"])
            let refused = world.kubernetes.writes.filter { $0.resource == "secrets" && !$0.isAccepted }
            #expect(refused.isEmpty, "force: no conflict on the first apply")
        }
    }

    @Test("a Deployment restart applied but whose answer is lost is sent again with the same timestamp: one rollout")
    func restartRetried() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 3)
            try world.writePlan(world.targetsPlan(adopt: old.id, targets: ["kubernetes: { namespace: api, secret: shared, key: TOKEN_A, restart: deployment/api }"]))
            world.kubernetes.inject(.applyThenDrop(method: "PATCH", pathContains: "/deployments/api"))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            let restarts = world.kubernetes.requests.filter { $0.method == "PATCH" && $0.path.hasSuffix("/deployments/api") }
            #expect(restarts.count == 2, "the lost answer is retried")
            // The same annotation value twice changes the pod template once: one rollout, not two.
            #expect(world.kubernetes.deployment(namespace: "api", name: "api")?.generation == 2)
            #expect(world.token(withValue: Self.value(world, "TOKEN_A"))?.isLive == true)
        }
    }

    @Test("an apply answered 502, then one applied but whose answer is lost, are retried; every key ends current")
    func applyRetried() async throws {
        try await Scenario.with { world in
            _ = try Self.dueWorld(world)
            world.kubernetes.inject(InjectedFault(method: "PATCH", pathContains: "/secrets/shared", status: 502))
            world.kubernetes.inject(.applyThenDrop(method: "PATCH", pathContains: "/secrets/shared", skip: 1))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            Self.expectEveryKeyCurrent(world)
            let statuses = world.kubernetes.requests.filter { $0.method == "PATCH" && $0.path.hasSuffix("/secrets/shared") }.map(\.status)
            // Three keys: one apply each, one more after the 502, one more after the lost answer.
            #expect(statuses.count == 5 && statuses.filter { $0 == 502 }.count == 1, "\(statuses)")
            #expect(statuses.filter { (200..<300).contains($0) }.count == 4, "the apply whose answer was lost is sent again: \(statuses)")
        }
    }
}
