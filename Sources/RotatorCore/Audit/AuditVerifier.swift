import Foundation

/// Checks the audit trail's hash chain (`audit verify`): every line is a JSON object, `seq` counts
/// 1, 2, 3… without a gap, and every `prev` is the SHA-256 of the line before it. Reports the first
/// record that is not what it should be, by line number, and why.
public enum AuditVerifier {
    public struct Report: Sendable {
        /// Records read (lines, the bad one included).
        public var records: Int
        /// nil when the chain is intact.
        public var problem: Problem?
        /// SHA-256 of the last line: write it down elsewhere to detect a truncated trail later.
        public var lastHash: String?
    }

    public struct Problem: Sendable, CustomStringConvertible {
        public enum Kind: String, Sendable {
            case badJSON = "bad JSON"
            case seqGap = "seq gap"
            case hashMismatch = "hash mismatch"
        }

        /// 1-based line number of the first bad record.
        public var line: Int
        public var kind: Kind
        public var reason: String

        public var description: String { "line \(line): \(kind.rawValue): \(reason)" }
    }

    /// - Returns: nil when there is no audit trail yet.
    public static func verify(path: String) throws(AuditError) -> Report? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AuditError(path: path, step: "read", reason: "permission denied")
        }
        return verify(Array(data))
    }

    public static func verify(_ bytes: [UInt8]) -> Report {
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        let torn = bytes.last != 0x0A && !bytes.isEmpty
        if !torn { lines.removeLast() }
        let hashes = lines.map { SHA256Digest.hex(of: $0) }
        var report = Report(records: lines.count, problem: nil, lastHash: hashes.last)
        var expectedSeq = 1
        for (index, line) in lines.enumerated() {
            let number = index + 1
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
                let why = index == lines.count - 1 && torn
                    ? "the last line is incomplete (a write interrupted by a crash?)"
                    : "the line is not a JSON object"
                report.problem = Problem(line: number, kind: .badJSON, reason: why)
                return report
            }
            guard let seq = object["seq"] as? Int else {
                report.problem = Problem(line: number, kind: .badJSON, reason: "the record has no numeric seq")
                return report
            }
            guard seq == expectedSeq else {
                let why = seq > expectedSeq
                    ? "expected seq \(expectedSeq), found \(seq): \(seq - expectedSeq) record(s) before this line were removed"
                    : "expected seq \(expectedSeq), found \(seq): a record was inserted or duplicated"
                report.problem = Problem(line: number, kind: .seqGap, reason: why)
                return report
            }
            expectedSeq += 1
            let expectedPrev = index == 0 ? AuditTrail.genesis : hashes[index - 1]
            guard let prev = object["prev"] as? String else {
                report.problem = Problem(line: number, kind: .badJSON, reason: "the record has no prev hash")
                return report
            }
            guard prev == expectedPrev else {
                report.problem = mismatch(at: index, lines: lines, hashes: hashes)
                return report
            }
        }
        return report
    }

    /// `prev` of line `index` is not the hash of the line before. Either that line was altered or
    /// this line's `prev` was. When the next line's `prev` still matches this line, this line is
    /// intact, so the culprit is the line before.
    private static func mismatch(at index: Int, lines: [[UInt8]], hashes: [String]) -> Problem {
        let number = index + 1
        if index == 0 {
            return Problem(line: number, kind: .hashMismatch, reason: "the first record's prev is not the genesis value (64 zeros): records before it were removed, or it was altered")
        }
        let nextIntact: Bool = {
            guard index + 1 < lines.count,
                  let next = (try? JSONSerialization.jsonObject(with: Data(lines[index + 1]))) as? [String: Any],
                  let nextPrev = next["prev"] as? String
            else { return false }
            return nextPrev == hashes[index]
        }()
        if nextIntact {
            return Problem(
                line: number - 1, kind: .hashMismatch,
                reason: "line \(number - 1) was altered: its SHA-256 no longer matches the prev recorded by line \(number)"
            )
        }
        return Problem(
            line: number, kind: .hashMismatch,
            reason: "prev is not the SHA-256 of line \(number - 1): line \(number) or line \(number - 1) was altered"
        )
    }
}
