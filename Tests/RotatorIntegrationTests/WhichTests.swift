import Foundation
import RotatorEmulators
import Testing

/// `which`: a leaked value on stdin → its rotation, token and targets, from the state alone.
@Suite("which: from a leaked value to its rotation (real binary)", .serialized, .timeLimit(.minutes(5)))
struct WhichTests {
    @Test("the current token: rotation, id, name, status and both targets that hold it (verified); no network, no value printed")
    func currentToken() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 3)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            let first = try await world.rotator(["run", "--only", "api-production-ci"])
            #expect(first.exitCode == 0, "\(first.all)")
            let value = try #require(world.githubSecret("acme/api"))
            let current = try #require(world.token(withValue: value))
            let requestsBefore = world.allRequests.count

            let text = try await world.rotator(["which"], stdin: Data((value + "\n").utf8))
            #expect(text.exitCode == 0, "\(text.all)")
            #expect(text.stdout.contains("rotation api-production-ci"), "\(text.stdout)")
            #expect(text.stdout.contains("\(current.id) \"\(current.name)\", current"), "\(text.stdout)")
            #expect(text.stdout.contains("github:acme/api/ENVSHED_TOKEN holds it (verified)"), "\(text.stdout)")
            #expect(text.stdout.contains("github:acme/api@production/ENVSHED_TOKEN holds it (verified)"), "\(text.stdout)")
            #expect(text.stdout.contains("rotate api-production-ci --reason"))

            let json = try await world.rotator(["which", "--json"], stdin: Data(value.utf8))
            #expect(json.exitCode == 0, "\(json.all)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let tokens = try #require(document["tokens"] as? [[String: Any]])
            #expect(tokens.count == 1 && tokens[0]["token_id"] as? String == current.id && tokens[0]["status"] as? String == "current")
            let targets = try #require(tokens[0]["targets"] as? [[String: Any]])
            #expect(Set(targets.compactMap { $0["target"] as? String }) == ["github:acme/api/ENVSHED_TOKEN", "github:acme/api@production/ENVSHED_TOKEN"])
            #expect(targets.allSatisfy { $0["holds"] as? String == "verified" })
            #expect(world.allRequests.count == requestsBefore, "which is offline")
            try world.expectNoSecretsLeaked([text, json])
        }
    }

    @Test("a replaced token is still found, with its status; an unknown value exits 1; a value on the command line is refused unechoed")
    func replacedAndUnknown() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 3)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            #expect(try await world.rotator(["run", "--only", "api-production-ci"]).exitCode == 0)
            let firstValue = try #require(world.githubSecret("acme/api"))
            let first = try #require(world.token(withValue: firstValue))
            let again = try await world.rotator(["rotate", "api-production-ci", "--reason", "drill", "--yes"])
            #expect(again.exitCode == 0, "\(again.all)")

            let replaced = try await world.rotator(["which", "--json"], stdin: Data(firstValue.utf8))
            #expect(replaced.exitCode == 0, "\(replaced.all)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(replaced.stdout.utf8)) as? [String: Any])
            let token = try #require((document["tokens"] as? [[String: Any]])?.first)
            #expect(token["token_id"] as? String == first.id)
            #expect(["superseded", "revoked"].contains(token["status"] as? String ?? ""), "\(token)")

            // The adopted token's value never passed through the bot: unknown by design.
            let adopted = try await world.rotator(["which"], stdin: Data(old.value.utf8))
            #expect(adopted.exitCode == 1, "\(adopted.all)")
            #expect(adopted.stderrMessages.contains("no token in the state has fingerprint"), "\(adopted.stderr)")
            let empty = try await world.rotator(["which"], stdin: Data())
            #expect(empty.exitCode == 64, "\(empty.all)")

            let onArgv = try await world.rotator(["which", firstValue])
            #expect(onArgv.exitCode == 64, "\(onArgv.all)")
            #expect(onArgv.stderr.contains("never from the command line"), "\(onArgv.stderr)")
            #expect(!onArgv.all.contains(firstValue), "the value given on the command line was printed back")
            try world.expectNoSecretsLeaked([replaced, adopted, onArgv])
        }
    }
}
