import Foundation
import Logging
@testable import RotatorCore
import Testing

/// Hostile input (issue 4): the plan loader and the Envshed decoders under mutated, truncated and
/// planted input never crash or hang, always answer with a value or a typed, located error, and
/// never echo a token. Seeded, so a failing case replays.
@Suite("Hostile input: plan loader and Envshed decoders")
struct HostileInputTests {
    static let metacharacters: [Character] = ["[", "]", "{", "}", ":", "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`", "#", "\t", "\u{0}", "-", "?"]

    @Test("mutated plans load or fail with located errors, never crash, never echo a token", arguments: [1, 2, 3, 4] as [UInt64])
    func mutatedPlans(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let base = PlanFixtures.valid
        for _ in 0..<250 {
            var lines = base.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let planted = PlantedToken.envshed(&random)
            for _ in 0..<random.int(1...4) {
                let index = random.int(0..<lines.count)
                switch random.int(0..<6) {
                case 0: lines.remove(at: index)
                case 1: lines.insert(lines[index], at: index)
                case 2:
                    var line = Array(lines[index])
                    if !line.isEmpty { line[random.int(0..<line.count)] = random.pick(Self.metacharacters) }
                    lines[index] = String(line)
                case 3: lines[index] = String(repeating: " ", count: random.int(0...6)) + lines[index].trimmingCharacters(in: .whitespaces)
                case 4: lines[index] += " " + planted
                default: lines = Array(lines.prefix(index))
                }
                if lines.isEmpty { lines = [""] }
            }
            let text = lines.joined(separator: "\n")
            do {
                _ = try PlanLoader.parse(text, file: "fuzz.yaml")
            } catch {
                #expect(!error.diagnostics.isEmpty)
                for diagnostic in error.diagnostics {
                    #expect(diagnostic.location.line >= 1 && diagnostic.location.column >= 1, "\(diagnostic)")
                    #expect(!diagnostic.message.isEmpty)
                }
                #expect(!error.description.contains(planted), "a planted token was echoed")
            }
        }
    }

    @Test("aliases that expand exponentially are refused quickly")
    func billionLaughs() {
        var yaml = "version: 1\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        for (previous, name) in zip(names, names.dropFirst()) {
            yaml += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]\n"
        }
        yaml += "rotations: *i\n"
        let started = ContinuousClock.now
        #expect(throws: PlanError.self) { try PlanLoader.parse(yaml, file: "laughs.yaml") }
        #expect(started.duration(to: .now) < .seconds(30))
    }

    @Test("random answers from Envshed give a value or a typed error that quotes no token", arguments: [7, 8, 9] as [UInt64])
    func hostileEnvshedAnswers(seed: UInt64) async {
        let random = SharedRandom(seed: seed)
        let planted = random.with { PlantedToken.envshed(&$0) }
        let bodies: [String] = [
            "", "null", "[]", "{}", "[1,2,3]", "{\"serviceTokens\": {}}", "{\"serviceTokens\": [{\"id\": 5, \"name\": null}]}",
            "{\"id\": \"x\", \"name\": \"n\", \"token\": 42}", "{\"secrets\": []}", "{\"secrets\": {\"A\": 1}, \"version\": \"x\"}",
            "{\"error\": \"\(planted)\"}", "{\"message\": {\"value\": [\"bad \(planted)\"]}}", "{\"a\":" + String(repeating: "[", count: 5_000),
            String(repeating: "x", count: 200_000) + planted, "{\"tokens\": [" + Array(repeating: "{\"id\":\"i\",\"name\":\"n\"}", count: 2_000).joined(separator: ",") + "]}",
        ]
        let transport = ScriptedTransport { _ in
            random.with { generator in
                HTTPResponse(status: generator.pick([200, 201, 204, 400, 401, 403, 404, 409, 429, 500, 502]), body: Data(generator.pick(bodies).utf8))
            }
        }
        let client = EnvshedClient(
            transport: transport, baseURL: URL(string: "https://envshed.invalid")!, org: "acme", credential: Secret("admin-credential")  // swift-format-ignore: NeverForceUnwrap
        )
        let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
        let request = NewServiceToken(name: "n", description: "d", scope: .project, projectID: "p", environmentID: nil, permission: .read, expiresInDays: 30)
        for _ in 0..<150 {
            var descriptions: [String] = []
            do { _ = try await client.create(request, logger: logger) } catch { descriptions.append("\(error)") }
            do { _ = try await client.listTokens(logger: logger) } catch { descriptions.append("\(error)") }
            do { _ = try await client.revoke(tokenID: "t", logger: logger) } catch { descriptions.append("\(error)") }
            do { _ = try await client.pull(project: "p", environment: "e", with: Secret("svc"), logger: logger) } catch { descriptions.append("\(error)") }
            for description in descriptions {
                #expect(!description.isEmpty)
                #expect(!description.contains(planted), "an error quoted a token: \(description.prefix(200))")
            }
        }
    }
}
