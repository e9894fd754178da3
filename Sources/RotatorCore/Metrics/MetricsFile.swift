import Foundation

/// The Prometheus text file (node_exporter's textfile collector format) written after every `run`
/// and `rotate`: when the last run ended and whether it succeeded, how long it took, when each
/// rotation's token expires, and the rotations and failures so far. Names follow the Prometheus
/// conventions: `envshed_rotator_` prefix, base units (seconds), `_total` for counters.
struct MetricsFile {
    static let defaultFileName = "envshed_rotator.prom"

    static let rotationsTotal = "envshed_rotator_rotations_total"
    static let failuresTotal = "envshed_rotator_failures_total"
    /// Label values always present, so `rate()` and `increase()` work from the first run.
    static let outcomes = ["rotated", "failed", "needs_attention"]
    static let providers = ["envshed"] + ProviderKind.allCases.map(\.rawValue)

    var finishedAt: Date
    var success: Bool
    var exitCode: Int32
    var duration: Duration
    /// Rotation id → when its current token expires.
    var expiries: [String: Date]
    /// Counter name → label value → total.
    var counters: [String: [String: Int]]

    /// The counter increments of a run's outcomes: each rotation's outcome, and each failure by
    /// the provider that failed (`envshed` for create, the test pull and revocations).
    /// - Parameter abortedBy: the provider whose failure stopped the run before its rotations.
    static func increments(_ outcomes: [RotationOutcome], abortedBy: String? = nil) -> [String: [String: Int]] {
        var rotations: [String: Int] = [:]
        var failures: [String: Int] = [:]
        for outcome in outcomes {
            switch outcome.result {
            case .rotated: rotations["rotated", default: 0] += 1
            case .notDue: break
            case .failed(let failure):
                rotations[failure.targetsHoldingNewToken.isEmpty ? "failed" : "needs_attention", default: 0] += 1
                failures[provider(of: failure.target), default: 0] += 1
            }
            if !outcome.revocationErrors.isEmpty { failures["envshed", default: 0] += 1 }
        }
        if let abortedBy { failures[abortedBy, default: 0] += 1 }
        return [rotationsTotal: rotations, failuresTotal: failures]
    }

    /// `github:acme/api/X` → `github`; a step without a target (create) or `envshed:…` → `envshed`.
    static func provider(of target: String?) -> String {
        guard let target, let prefix = target.split(separator: ":").first, ProviderKind(rawValue: String(prefix)) != nil else {
            return "envshed"
        }
        return String(prefix)
    }

    var text: String {
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            for sample in samples { lines.append("\(name)\(sample.labels) \(sample.value)") }
        }
        metric("envshed_rotator_last_run_timestamp_seconds", "gauge", "Unix time at which the last run or rotate finished.",
               [("", Self.number(finishedAt.timeIntervalSince1970))])
        metric("envshed_rotator_last_run_success", "gauge", "1 if the last run or rotate exited 0, else 0.",
               [("", success ? "1" : "0")])
        metric("envshed_rotator_last_run_exit_code", "gauge", "Exit code of the last run or rotate (0, 1, 3).",
               [("", String(exitCode))])
        metric("envshed_rotator_run_duration_seconds", "gauge", "How long the last run or rotate took.",
               [("", Self.number(Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18))])
        metric("envshed_rotator_token_expiry_timestamp_seconds", "gauge", "Unix time at which each rotation's current token expires.",
               expiries.sorted { $0.key < $1.key }.map { ("{rotation=\"\(Self.escape($0.key))\"}", Self.number($0.value.timeIntervalSince1970)) })
        let rotations = (counters[Self.rotationsTotal] ?? [:]).merging(Dictionary(uniqueKeysWithValues: Self.outcomes.map { ($0, 0) })) { stored, _ in stored }
        metric(Self.rotationsTotal, "counter", "Rotations attempted, by outcome (rotated, failed, needs_attention).",
               rotations.sorted { $0.key < $1.key }.map { ("{outcome=\"\(Self.escape($0.key))\"}", String($0.value)) })
        let failures = (counters[Self.failuresTotal] ?? [:]).merging(Dictionary(uniqueKeysWithValues: Self.providers.map { ($0, 0) })) { stored, _ in stored }
        metric(Self.failuresTotal, "counter", "Failed rotations and revocations, by the provider that failed.",
               failures.sorted { $0.key < $1.key }.map { ("{provider=\"\(Self.escape($0.key))\"}", String($0.value)) })
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the file atomically (temporary file, fsync, rename, fsync of the directory), mode
    /// 0644 so node_exporter's user can read it: it holds no secret.
    func write(to path: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try AtomicFileWriter.write(Array(text.utf8), to: path, mode: 0o644, ownership: DirectoryOwner.ownership(of: directory))
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.3f", value)
    }

    /// Label values escape backslash, double quote and newline.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
