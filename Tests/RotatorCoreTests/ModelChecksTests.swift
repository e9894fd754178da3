import Foundation
import RotatorCore
import RotatorEmulators
import Testing

/// The model-based test's oracle must be able to say no: each check is shown a world that breaks
/// it, built by hand against the emulators, and must report it.
@Suite("Model-based test: its checks catch what they claim", .timeLimit(.minutes(2)))
struct ModelChecksTests {
    /// Seed 1: four rotations; r1 writes a GitLab variable and a key of the shared Kubernetes Secret.
    static let model = ModelCase(seed: 1)

    static func with(_ body: (ModelWorld) async throws -> Void) async throws {
        let world = try await ModelWorld.start(model)
        do {
            try await body(world)
        } catch {
            await world.stop()
            throw error
        }
        await world.stop()
    }

    static func send(_ method: String, _ url: URL, headers: [String: String]) async throws -> HTTPResponse {
        try await ProductionTransport.make().send(HTTPRequest(method: method, url: url, headers: headers, timeout: .seconds(60)))
    }

    @Test("(a) A target holding a revoked token is reported, unless its rotation asked for --revoke-old")
    func revokedTokenInATarget() async throws {
        try await Self.with { world in
            let token = world.envshed.seedToken(
                name: "soon revoked", scope: "environment", projectID: ModelWorld.projectID, environmentID: ModelWorld.environmentIDs["staging"],
                permission: "read", expiresAt: Date().addingTimeInterval(86_400)
            )
            #expect(ModelChecks.noTargetHoldsARevokedToken(world, exempt: []).isEmpty)
            world.kubernetes.addSecret(namespace: "api", name: "envshed", data: ["token-r1": token.value, ModelWorld.unrelatedKey: "x"])
            let revoke = world.servers[0].baseURL.appendingPathComponent("api/v1/service-tokens/acme/\(token.id)")
            _ = try await Self.send("DELETE", revoke, headers: ["Authorization": "Bearer \(world.credentials["ENVSHED_TOKEN"]!)"])
            #expect(world.envshed.token(id: token.id)?.revokedAt != nil)
            let found = ModelChecks.noTargetHoldsARevokedToken(world, exempt: [])
            #expect(found.count == 1 && found[0].contains("kubernetes:api/envshed#token-r1"), "\(found)")
            #expect(ModelChecks.noTargetHoldsARevokedToken(world, exempt: ["r1"]).isEmpty)
        }
    }

    @Test("(b) Revoking a hand-made token, a DELETE on a target's service and a key gone from the shared Secret are reported")
    func undeclaredWritesAndDeletions() async throws {
        try await Self.with { world in
            var present: Set<String> = []
            #expect(ModelChecks.onlyDeclaredWrites(world, present: &present).isEmpty)
            #expect(present.contains("kubernetes key \(ModelWorld.unrelatedKey)"))

            let foreign = world.servers[0].baseURL.appendingPathComponent("api/v1/service-tokens/acme/\(world.foreign[0])")
            _ = try await Self.send("DELETE", foreign, headers: ["Authorization": "Bearer \(world.credentials["ENVSHED_TOKEN"]!)"])
            let variable = world.servers[2].baseURL.appendingPathComponent("api/v4/projects/201/variables/ENVSHED_TOKEN_R1")
            _ = try await Self.send("DELETE", variable, headers: ["PRIVATE-TOKEN": world.credentials["GITLAB_TOKEN"]!])
            world.kubernetes.addSecret(namespace: "api", name: "envshed", data: ["token-r1": "x"])

            let found = ModelChecks.onlyDeclaredWrites(world, present: &present)
            #expect(found.contains { $0.contains(world.foreign[0]) && $0.contains("hand-made") }, "\(found)")
            #expect(found.contains { $0.hasPrefix("deletion: DELETE /api/v4/projects/201/variables/ENVSHED_TOKEN_R1") }, "\(found)")
            #expect(found.contains { $0.contains("kubernetes key \(ModelWorld.unrelatedKey)") && $0.contains("gone") }, "\(found)")
        }
    }

    @Test("(c) A token value is found raw, percent-encoded and in base64 at every alignment inside other bytes")
    func leaksInEveryEncoding() async throws {
        try await Self.with { world in
            let token = world.envshed.seedToken(
                name: "leaked", scope: "environment", projectID: ModelWorld.projectID, environmentID: ModelWorld.environmentIDs["staging"],
                permission: "read", expiresAt: Date().addingTimeInterval(86_400)
            )
            #expect(ModelChecks.noSecretInOutput(world, outputs: [("clean", Data("nothing to see".utf8))]).isEmpty)
            let credential = world.credentials["GITLAB_TOKEN"]!
            for prefix in ["", "x", "xy"] {
                let embedded = (Data((prefix + "header " + token.value + " trailer").utf8)).base64EncodedString()
                let found = ModelChecks.noSecretInOutput(world, outputs: [("log", Data("{\"blob\":\"\(embedded)\"}".utf8))])
                #expect(found.contains { $0.contains("base64") }, "prefix \"\(prefix)\": \(found)")
            }
            let percent = credential.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            #expect(ModelChecks.noSecretInOutput(world, outputs: [("url", Data("?token=\(percent)".utf8))]).contains { $0.contains("percent-encoded") })
            #expect(ModelChecks.noSecretInOutput(world, outputs: [("raw", Data([0xFF, 0xFE] + Array(token.value.utf8)))]).contains { $0.contains("raw") })
        }
    }

    @Test("Convergence: targets that hold no token, or different tokens, are reported")
    func notConverged() async throws {
        try await Self.with { world in
            let found = ModelChecks.converged(world)
            #expect(found.contains { $0.hasPrefix("r1: its targets do not all hold one Envshed token") }, "\(found)")
        }
    }
}
