import Foundation
import Logging
@testable import RotatorCore
import Testing

@Suite("Audit trail: append and verify")
struct AuditTrailUnitTests {
    static func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func trail(_ directory: String) -> AuditTrail {
        AuditTrail(directory: directory, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    @Test("records chain from the genesis value, count up, scrub token-shaped text, mode 0600")
    func chain() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let trail = Self.trail(directory)
        trail.append("run_started", ["run_id": "r1", "rotations": ["a", "b"], "pid": 42])
        trail.append("step", ["run_id": "r1", "rotation": "a", "step": "push", "target": nil, "detail": "wrote envshed_svc_abcdefghij1234567890"])
        trail.append("run_finished", ["run_id": "r1", "exit_code": 0, "duration_ms": Int64(12)])
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: trail.path)))
        let lines = bytes.split(separator: 0x0A).map(Array.init)
        #expect(lines.count == 3)
        let records = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]) }
        #expect(records.map { $0["seq"] as? Int } == [1, 2, 3])
        #expect(records[0]["prev"] as? String == AuditTrail.genesis)
        #expect(records[1]["prev"] as? String == SHA256Digest.hex(of: lines[0]))
        #expect(records[2]["prev"] as? String == SHA256Digest.hex(of: lines[1]))
        #expect(records[1]["target"] == nil, "nil fields are left out")
        #expect(records[1]["detail"] as? String == "wrote envshed_<redacted>")
        #expect(records[2]["duration_ms"] as? Int == 12)
        let mode = try FileManager.default.attributesOfItem(atPath: trail.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let report = AuditVerifier.verify(bytes)
        #expect(report.problem == nil)
        #expect(report.records == 3)
        #expect(report.lastHash == SHA256Digest.hex(of: lines[2]))
        // A second writer (a later process) continues the chain.
        Self.trail(directory).append("step", ["rotation": "b"])
        let again = AuditVerifier.verify(Array(try Data(contentsOf: URL(fileURLWithPath: trail.path))))
        #expect(again.problem == nil && again.records == 4)
    }

    @Test("concurrent appends from many tasks keep one intact chain")
    func concurrent() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let trail = Self.trail(directory)
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<64 {
                group.addTask { trail.append("step", ["rotation": "r\(index)"]) }
            }
        }
        let report = try #require(try AuditVerifier.verify(path: trail.path))
        #expect(report.problem == nil, "\(String(describing: report.problem))")
        #expect(report.records == 64)
    }

    static func sample() throws -> [String] {
        let directory = try directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let trail = trail(directory)
        for index in 1...6 { trail.append("step", ["rotation": "r", "detail": "step \(index)"]) }
        return try String(contentsOfFile: trail.path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    static func verify(_ lines: [String], trailingNewline: Bool = true) -> AuditVerifier.Problem? {
        AuditVerifier.verify(Array((lines.joined(separator: "\n") + (trailingNewline ? "\n" : "")).utf8)).problem
    }

    @Test("an altered middle line is named, not its successor")
    func alteredLine() throws {
        var lines = try Self.sample()
        lines[2] = lines[2].replacingOccurrences(of: "step 3", with: "step X")
        let problem = try #require(Self.verify(lines))
        #expect(problem.line == 3)
        #expect(problem.kind == .hashMismatch)
        #expect(problem.description.contains("line 3 was altered"))
    }

    @Test("an altered prev names its own line")
    func alteredPrev() throws {
        var lines = try Self.sample()
        lines[3] = lines[3].replacingOccurrences(of: "\"prev\":\"", with: "\"prev\":\"0")
        let problem = try #require(Self.verify(lines))
        #expect(problem.kind == .hashMismatch || problem.kind == .badJSON)
        #expect(problem.line == 4)
    }

    @Test("a removed line is a seq gap; an inserted copy too; the first line must start from the genesis")
    func gapsAndGenesis() throws {
        var removed = try Self.sample()
        removed.remove(at: 2)
        let gap = try #require(Self.verify(removed))
        #expect(gap.line == 3 && gap.kind == .seqGap)
        #expect(gap.reason.contains("removed"))

        var duplicated = try Self.sample()
        duplicated.insert(duplicated[1], at: 2)
        #expect(Self.verify(duplicated)?.kind == .seqGap)

        let headless = Array(try Self.sample().dropFirst())
        #expect(Self.verify(headless)?.kind == .seqGap)
    }

    @Test("bad JSON and a torn last line are named")
    func badJSON() throws {
        var lines = try Self.sample()
        lines[4] = "{\"seq\": 5, oops"
        let problem = try #require(Self.verify(lines))
        #expect(problem.line == 5 && problem.kind == .badJSON)

        var torn = try Self.sample()
        torn[5] = String(torn[5].prefix(20))
        let tornProblem = try #require(Self.verify(torn, trailingNewline: false))
        #expect(tornProblem.line == 6 && tornProblem.reason.contains("incomplete"))
        #expect(AuditVerifier.verify([]).problem == nil)
    }
}
