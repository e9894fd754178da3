import Foundation
import RotatorEmulators
import Testing

/// The audit trail (SPEC §6): one record per step and decision, hash-chained, checked by
/// `audit verify`, shown newest first by `history`.
@Suite("Audit trail (real binary, loopback emulators)", .serialized, .timeLimit(.minutes(5)))
struct AuditTrailTests {
    @Test("every step is a chained record; history is newest first; audit verify passes; mode 0600; no secrets")
    func recordsAndVerifies() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 5)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            let run = try await world.rotator(["run"])
            #expect(run.exitCode == 0, "\(run.all)")

            let path = world.stateDirectory + "/audit.jsonl"
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
            let records = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
            #expect(records.map { $0["seq"] as? Int } == Array(1...records.count).map { $0 })
            #expect(records.first?["event"] as? String == "run_started")
            #expect(records.last?["event"] as? String == "run_finished")
            #expect(records.first?["prev"] as? String == String(repeating: "0", count: 64))
            // Every step line the run logged is a record: create, push ×2, verify ×3, revoke, done, decisions.
            let steps = records.compactMap { $0["step"] as? String }
            for step in ["plan", "create", "push", "verify", "revoke", "done"] {
                #expect(steps.contains(step), "no \(step) record: \(steps)")
            }
            let stepLines = run.stderr.split(separator: "\n").filter { $0.contains("\"step\":") }.count
            #expect(records.filter { $0["event"] as? String == "step" || $0["event"] as? String == "decision" }.count == stepLines)

            let verify = try await world.rotator(["audit", "verify"])
            #expect(verify.exitCode == 0, "\(verify.all)")
            #expect(verify.stdout.contains("\(records.count) record(s), hash chain intact"))

            let history = try await world.rotator(["history", "--limit", "3"])
            #expect(history.exitCode == 0, "\(history.all)")
            let shown = history.stdout.split(separator: "\n")
            #expect(shown.count == 3)
            #expect(shown.first?.contains("#\(records.count)") == true, "newest first: \(history.stdout)")
            #expect(shown.first?.contains("run_finished") == true)

            let onlyWeb = try await world.rotator(["history", "web-staging-ci", "--json"])
            let document = try #require(try JSONSerialization.jsonObject(with: Data(onlyWeb.stdout.utf8)) as? [String: Any])
            let webRecords = try #require(document["records"] as? [[String: Any]])
            #expect(!webRecords.isEmpty)
            #expect(webRecords.allSatisfy { ($0["rotation"] as? String) == "web-staging-ci" || (($0["rotations"] as? [String])?.contains("web-staging-ci") ?? false) })
            let seqs = webRecords.compactMap { $0["seq"] as? Int }
            #expect(seqs == seqs.sorted(by: >), "newest first")
            try world.expectNoSecretsLeaked([run, verify, history, onlyWeb])
        }
    }

    @Test("one byte changed in a middle line: audit verify exits 1 naming that line")
    func tamperedLine() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 5)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            #expect(try await world.rotator(["run", "--only", "api-production-ci"]).exitCode == 0)
            let path = world.stateDirectory + "/audit.jsonl"
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            let newlines = bytes.indices.filter { bytes[$0] == 0x0A }
            #expect(newlines.count >= 6)
            let target = newlines.count / 2 // a middle line, 1-based number `target + 1`
            // Change one letter of the line's timestamp field value ("ts":"2026-…): still valid JSON.
            let lineStart = newlines[target - 1] + 1
            let line = Array(bytes[lineStart..<newlines[target]])
            let text = String(decoding: line, as: UTF8.self)
            let tsRange = try #require(text.range(of: "\"ts\":\""))
            let offset = lineStart + text.utf8.distance(from: text.startIndex, to: tsRange.upperBound) + 3 // inside the year
            bytes[offset] = bytes[offset] == UInt8(ascii: "9") ? UInt8(ascii: "8") : UInt8(ascii: "9")
            try Data(bytes).write(to: URL(fileURLWithPath: path))

            let verify = try await world.rotator(["audit", "verify"])
            #expect(verify.exitCode == 1, "\(verify.all)")
            #expect(verify.stderr.contains("line \(target + 1): hash mismatch"), "\(verify.stderr)")
            #expect(verify.stderr.contains("line \(target + 1) was altered"))

            // A removed line is a seq gap.
            var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            lines.remove(at: 1)
            try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
            let gap = try await world.rotator(["audit", "verify"])
            #expect(gap.exitCode == 1)
            #expect(gap.stderr.contains("line 2: seq gap"), "\(gap.stderr)")
        }
    }
}
