import Foundation
import RotatorEmulators
import Testing

/// The progress of `run`: one line redrawn at the bottom of a terminal (a real pty through
/// util-linux `script`), plain `progress:` lines in a pipe or the journal.
@Suite("Progress line (real binary)", .serialized, .timeLimit(.minutes(5)))
struct ProgressLineTests {
    @Test("on a terminal: a status line redrawn in place (CR, erase line), gone when the run ends",
          .enabled(if: TerminalSession.script != nil || SystemdTools.required))
    func terminal() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 3)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            world.github.inject(.delay(.milliseconds(1_300), method: "PUT", times: 2))
            let result = try await TerminalSession.run(
                ["run", "--only", "api-production-ci", "--config", world.planPath],
                environment: ["ENVSHED_TOKEN": world.adminToken, "GITHUB_TOKEN": world.githubToken],
                in: world.directory, answering: "", after: "a prompt that never appears"
            )
            #expect(result.exitCode == 0, "\(result.transcript)")
            #expect(result.transcript.contains("\r\u{1B}[K0/1 rotation done, 0 failed, 00:0"), "\(result.transcript.debugDescription)")
            #expect(result.transcript.contains("1/1 rotation done, 0 failed"), "\(result.transcript.debugDescription)")
            // Every log line is drawn above the status line: after the last erase nothing of it is left.
            let tail = result.transcript.components(separatedBy: "\u{1B}[K").last ?? ""
            #expect(!tail.contains("rotation done"), "the status line must be erased at the end: \(tail.debugDescription)")
            #expect(!result.transcript.contains("progress:"), "no plain progress lines on a terminal")
        }
    }

    @Test("outside a terminal: plain progress lines (JSON objects in JSON mode), no escape codes")
    func plain() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 3)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            let result = try await world.rotator(["run", "--only", "api-production-ci"])
            #expect(result.exitCode == 0, "\(result.all)")
            #expect(result.stderrMessages.contains("progress: 1/1 rotation done, 0 failed, 00:0"), "\(result.stderr)")
            #expect(!result.all.contains("\u{1B}"), "no terminal escapes outside a terminal")
            let line = try #require(result.stderr.split(separator: "\n").first { $0.contains("progress: 1/1") })
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["progress.done"] as? Int == 1 && object["progress.due"] as? Int == 1 && object["progress.failed"] as? Int == 0)
        }
    }
}
