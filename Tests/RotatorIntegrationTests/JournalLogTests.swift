import Foundation
import Testing

/// stderr and stdout as journald receives them under systemd (one stream, `$JOURNAL_STREAM`
/// naming it): every line carries its syslog priority, and once journald strips it every line
/// is one JSON object, so the `jq` recipes of docs/operations.md read the whole journal.
/// journald's handling of the `<N>` prefix: SyslogLevelPrefix= in
/// https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html and sd-daemon(3).
@Suite("Journal lines and the jq recipes (real binary, real jq)", .serialized, .timeLimit(.minutes(5)))
struct JournalLogTests {
    static let jq = ["/usr/bin/jq", "/bin/jq", "/usr/local/bin/jq"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let required = ProcessInfo.processInfo.environment["ENVSHED_ROTATOR_REQUIRE_TOOLS"] != nil

    /// The prefix journald strips, and the rest of the line.
    static func split(_ line: Substring) -> (priority: Int, rest: Substring)? {
        guard line.count >= 3, line.first == "<", let digit = line.dropFirst().first?.wholeNumberValue, line.dropFirst(2).first == ">",
              (0...7).contains(digit)
        else { return nil }
        return (digit, line.dropFirst(3))
    }

    static let priorities = ["trace": 7, "debug": 7, "info": 6, "notice": 5, "warning": 4, "error": 3, "critical": 2]

    /// Checks every line and returns the journal as `journalctl -o cat` shows it.
    static func journal(_ result: RotatorProcess.Result, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        var stripped: [String] = []
        for line in result.stderr.split(separator: "\n") {
            guard let parts = split(line) else {
                Issue.record("a line without a syslog priority: \(line)", sourceLocation: sourceLocation)
                continue
            }
            let (priority, rest) = parts
            guard let object = try? JSONSerialization.jsonObject(with: Data(rest.utf8)) as? [String: Any] else {
                Issue.record("a line that is not one JSON object: \(line)", sourceLocation: sourceLocation)
                continue
            }
            if let level = object["level"] as? String {
                #expect(priorities[level] == priority, "\(line)", sourceLocation: sourceLocation)
            }
            stripped.append(String(rest))
        }
        return stripped.joined(separator: "\n") + "\n"
    }

    @Test("under the journal: every line has its <N> priority and is one JSON object, the run report included")
    func priorities() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 3)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            let result = try await world.rotator(["run"], journal: true)
            #expect(result.exitCode == 0, "\(result.all)")
            let journal = Self.journal(result)
            #expect(result.stderr.contains("<6>{"), "step lines are info: \(result.stderr)")
            #expect(journal.contains("\"report\""), "the text report becomes one JSON object: \(journal)")
            #expect(!journal.contains("api-production-ci  rotated\n"), "no text report outside a terminal")

            // A failure is an error (<3>): journalctl -p err finds it.
            let missing = try await world.rotator(["run"], extraEnvironment: ["GITHUB_TOKEN": ""], journal: true)
            #expect(missing.exitCode == 64, "\(missing.all)")
            _ = Self.journal(missing)
            #expect(missing.stderr.contains("<3>{"), "\(missing.stderr)")

            // Outside the journal (a pipe, a file), no prefix: JSON lines stay JSON for scripts.
            let piped = try await world.rotator(["status"])
            #expect(!piped.stderr.contains("<"), "\(piped.stderr)")
            try world.expectNoSecretsLeaked([result, missing, piped])
        }
    }

    @Test("the jq recipes of docs/operations.md run on a real run's journal and find what they say")
    func recipes() async throws {
        guard let jq = Self.jq else {
            #expect(!Self.required, "jq is not installed")
            return
        }
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/operations.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let recipes = text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("journalctl ") && $0.contains("| jq") }
        #expect(recipes.count >= 5, "the recipes moved: \(recipes)")
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 3)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            let result = try await world.rotator(["run"], journal: true)
            #expect(result.exitCode == 0, "\(result.all)")
            let log = world.directory + "/journal.log"
            try Self.journal(result).write(toFile: log, atomically: true, encoding: .utf8)
            for recipe in recipes {
                // `journalctl … -o cat` prints each entry's message: the stripped lines.
                guard let pipe = recipe.range(of: "| jq") else { continue }
                let filter = recipe[pipe.lowerBound...].replacingOccurrences(of: "| jq", with: "| '\(jq)'")
                let command = "cat '\(log)' " + String(filter.split(separator: "#")[0])
                let run = try Self.shell(command)
                #expect(run.status == 0, "\(recipe) → exit \(run.status): \(run.output)")
                #expect(!run.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || recipe.contains("warning") || recipe.contains("failed"),
                        "\(recipe) found nothing")
                if recipe.contains("select(.step==\"revoke\")") {
                    #expect(run.output.contains(old.id), "the revocation of the adopted token: \(run.output)")
                }
            }
        }
    }

    static func shell(_ command: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
