import Foundation

/// Reads the audit trail for `history`: records newest first, optionally only those of one
/// rotation (and the runs that included it).
public enum AuditHistory {
    public struct Entry: @unchecked Sendable {
        /// 1-based line in `audit.jsonl`.
        public var line: Int
        /// The record as written (JSON types).
        public var record: [String: Any]
    }

    /// - Returns: the records and how many lines could not be read as records.
    public static func read(path: String, rotation: String?, limit: Int?) throws(AuditError) -> (entries: [Entry], unreadable: Int) {
        guard FileManager.default.fileExists(atPath: path) else { return ([], 0) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AuditError(path: path, step: "read", reason: "permission denied")
        }
        var entries: [Entry] = []
        var unreadable = 0
        for (index, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            guard let record = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
                unreadable += 1
                continue
            }
            if let rotation, !matches(record, rotation: rotation) { continue }
            entries.append(Entry(line: index + 1, record: record))
        }
        entries.reverse()
        if let limit { entries = Array(entries.prefix(limit)) }
        return (entries, unreadable)
    }

    static func matches(_ record: [String: Any], rotation: String) -> Bool {
        if let own = record["rotation"] as? String { return own == rotation }
        if let many = record["rotations"] as? [String] { return many.contains(rotation) }
        return false
    }

    /// One line per record: `2026-05-01T03:00:12.345Z  #42  run 3f2a1c…  api-production-ci  push  ok  …`.
    public static func text(_ entry: Entry) -> String {
        let record = entry.record
        func field(_ key: String) -> String? {
            switch record[key] {
            case let text as String: text
            case let number as Int: String(number)
            case let many as [String]: many.joined(separator: ",")
            default: nil
            }
        }
        var parts = [field("ts") ?? "-", "#\(field("seq") ?? "?")"]
        if let run = field("run_id") { parts.append("run \(run)") }
        parts.append(field("event") ?? "?")
        for key in ["rotation", "step", "target", "outcome"] {
            if let value = field(key) { parts.append(value) }
        }
        if let token = field("token_id") { parts.append("token=\(token)") }
        if let duration = field("duration_ms") { parts.append("\(duration)ms") }
        if let exit = field("exit_code") { parts.append("exit=\(exit)") }
        var line = parts.joined(separator: "  ")
        var extras: [String] = []
        if let user = field("user") { extras.append("by \(user)") }
        if let reason = field("reason") { extras.append("reason: \"\(reason)\"") }
        if let mode = field("revoke_old") { extras.append("--revoke-old \(mode)") }
        if record["emergency"] as? Bool == true { extras.insert("EMERGENCY", at: 0) }
        if let detail = field("detail"), !detail.isEmpty { extras.append(detail) }
        if !extras.isEmpty { line += "  — " + extras.joined(separator: "; ") }
        return Redactor.scrub(line)
    }
}
