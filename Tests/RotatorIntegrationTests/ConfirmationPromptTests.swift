import Foundation
import RotatorEmulators
import Testing

/// `rotate` on a terminal: the blast radius, then a question. "no" changes nothing; "yes" rotates.
/// Runs the real binary under a pseudo-terminal (util-linux `script`).
@Suite("Confirmation prompt on a terminal (pty)", .serialized, .enabled(if: TerminalSession.script != nil || SystemdTools.required), .timeLimit(.minutes(5)))
struct ConfirmationPromptTests {
    static let prompt = "Type 'yes' to go on:"

    private func session(_ world: Scenario, answer: String) async throws -> TerminalSession.Result {
        try await TerminalSession.run(
            ["rotate", "api-production-ci", "--reason", "key seen in a screenshot", "--emergency", "--config", world.planPath],
            environment: ["ENVSHED_TOKEN": world.adminToken, "GITHUB_TOKEN": world.githubToken, "USER": "oncall-carol"],
            in: world.directory, answering: answer, after: Self.prompt
        )
    }

    @Test("answering no: nothing is written anywhere and the old token stays live")
    func answerNo() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 20)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            let result = try await session(world, answer: "no")
            print("--- terminal session (answer: no) ---\n\(result.transcript)\n---")
            #expect(result.exitCode == 1, "\(result.transcript)")
            #expect(result.transcript.contains("EMERGENCY rotation of api-production-ci requested by oncall-carol: \"key seen in a screenshot\""))
            #expect(result.transcript.contains("writes:   github:acme/api/ENVSHED_TOKEN"))
            #expect(result.transcript.contains("revokes:  \(old.id) once every target holds the new token"))
            #expect(result.transcript.contains(Self.prompt))
            #expect(result.transcript.contains("not confirmed; nothing was changed"))
            #expect(world.writeRequests.isEmpty, "\(world.writeRequests.map { "\($0.method) \($0.path)" })")
            #expect(world.envshed.token(id: old.id)?.isLive == true)
            #expect(world.envshed.tokens.count == 1)
            #expect(world.githubSecret("acme/api") == nil)
            #expect(!FileManager.default.fileExists(atPath: world.stateDirectory + "/audit.jsonl"), "nothing recorded either")
        }
    }

    @Test("answering yes: the rotation runs")
    func answerYes() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 20)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            let result = try await session(world, answer: "yes")
            print("--- terminal session (answer: yes) ---\n\(result.transcript)\n---")
            #expect(result.exitCode == 0, "\(result.transcript)")
            let current = try #require(world.token(withValue: world.githubSecret("acme/api")))
            #expect(current.isLive)
            #expect(world.envshed.token(id: old.id)?.revokedAt != nil)
        }
    }
}
