import Foundation
import RotatorEmulators
import Testing

/// The live I1 monitor of `Scenario` is what every other test trusts to say "no target held a
/// revoked token", so it must be able to say the opposite: here the one sanctioned way to break
/// I1 (`--revoke-old first`) is used on a rotation writing every kind of target, and the monitor
/// must name each of them.
@Suite("The I1 monitor sees every target kind (real binary)", .serialized, .timeLimit(.minutes(5)))
struct OutageMonitorTests {
    @Test("--revoke-old first on a rotation writing a GitHub repository and organization secret, a GitLab variable, a Kubernetes Secret and a file: the monitor names all five")
    func monitorNamesEveryTargetKind() async throws {
        try await Scenario.with(allowingRevocationOfHeldTokens: true) { world in
            let agent = world.directory + "/agent"
            try FileManager.default.createDirectory(atPath: agent, withIntermediateDirectories: true)
            let old = world.seedToken(expiresInDays: 3)
            try world.writePlan(world.targetsPlan(adopt: old.id, targets: [
                "github: { repo: acme/api, secret: ENVSHED_TOKEN }",
                "github: { org: acme, secret: ENVSHED_TOKEN, visibility: private }",
                "gitlab: { project: acme/api, variable: ENVSHED_TOKEN }",
                "kubernetes: { namespace: api, secret: envshed, key: ENVSHED_TOKEN }",
                "file: { path: \(agent)/envshed-token }",
            ]))
            let first = try await world.rotator(["run"])
            #expect(first.exitCode == 0, "\(first.all)")
            #expect(world.outageViolations.isEmpty, "a normal rotation breaks no target: \(world.outageViolations)")
            let held = try #require(world.token(withValue: world.githubSecret("acme/api")))

            let emergency = try await world.rotator(["rotate", "fanout", "--reason", "leaked", "--emergency", "--revoke-old", "first", "--yes"])
            #expect(emergency.exitCode == 0, "\(emergency.all)")
            let found = world.outageViolations
            for target in ["github:acme/api/", "github:org acme/", "gitlab:project acme/api/ENVSHED_TOKEN", "kubernetes:api/envshed/ENVSHED_TOKEN", "file:\(agent)/envshed-token"] {
                #expect(found.contains { $0.contains(held.id) && $0.contains(target) }, "no finding for \(target): \(found)")
            }
        }
    }
}
