import Foundation
import Testing

/// A malformed plan exits 64, reports file:line:col, and touches nothing: no request, no state.
@Suite("Malformed plans touch nothing (real binary)", .serialized, .timeLimit(.minutes(5)))
struct MalformedPlanTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let edit: @Sendable (String) -> String
        let expected: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "syntax error", edit: { $0.replacingOccurrences(of: "  org: acme", with: "  org: [acme") }, expected: ": error: YAML syntax error"),
        Case(name: "unknown key", edit: { $0.replacingOccurrences(of: "    purpose: Web previews", with: "    purpose: Web previews\n    expire_in_days: 30") },
             expected: "unknown key 'expire_in_days'; did you mean 'expires_in_days'?"),
        Case(name: "wrong type", edit: { $0.replacingOccurrences(of: "  rotate_before_days: 7", with: "  rotate_before_days: soon") },
             expected: "defaults.rotate_before_days: expected a whole number, got 'soon'"),
        Case(name: "missing id", edit: { $0.replacingOccurrences(of: "  - id: web-staging-ci\n", with: "  -\n") }, expected: "missing required key 'id'"),
        Case(name: "literal secret", edit: { $0.replacingOccurrences(of: "token: env:GITHUB_TOKEN", with: "token: ghp_0123456789abcdefghij0123456789abcdef") },
             expected: "literal secret"),
        Case(name: "rotate_before_days >= expires_in_days", edit: { $0.replacingOccurrences(of: "  rotate_before_days: 7", with: "  rotate_before_days: 30") },
             expected: "must be smaller than expires_in_days"),
    ]

    @Test("exit 64 with file:line:col, no request, no state", arguments: cases)
    func malformed(_ testCase: Case) async throws {
        try await Scenario.with { world in
            try world.writePlan(testCase.edit(world.standardPlan()))
            for command in [["validate"], ["plan"], ["run"]] {
                let result = try await world.rotator(command)
                #expect(result.exitCode == 64, "\(command): \(result.all)")
                let line = result.stderrMessages.split(separator: "\n").first { $0.contains(testCase.expected) }
                let located = try #require(line, "\(command): no line contains \(testCase.expected): \(result.stderr)")
                #expect(located.hasPrefix(world.planPath + ":"), "\(located)")
                let position = located.dropFirst(world.planPath.count + 1).split(separator: ":")
                #expect(position.count >= 2 && Int(position[0]) != nil && Int(position[1]) != nil, "\(located)")
                #expect(!result.all.contains("ghp_0123456789abcdefghij"), "a pasted secret is never echoed")
            }
            #expect(world.allRequests.isEmpty, "a bad plan must send nothing")
            #expect(!FileManager.default.fileExists(atPath: world.stateDirectory))
        }
    }

    @Test("config.example.yaml is a valid plan")
    func exampleValidates() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let example = root.appendingPathComponent("config.example.yaml").path
        let result = try await RotatorProcess.run(["validate", "--config", example], environment: [:], in: root.path)
        #expect(result.exitCode == 0, "\(result.all)")
        #expect(result.stdout.contains("OK"))
    }
}
