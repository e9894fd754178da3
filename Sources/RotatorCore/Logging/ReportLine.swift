import Foundation

/// A command's report as one JSON object on one line, for stdout in JSON mode when stdout is the
/// journal: a `--json` document is compacted; a text report becomes `{"report": "…"}`.
public enum ReportLine {
    public static func oneLine(_ output: String, exit: ExitStatus) -> String {
        if let document = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any],
           let data = try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes]) {
            return Redactor.scrub(String(decoding: data, as: UTF8.self))
        }
        let object: [String: Any] = [
            "ts": Timestamp.format(Date()), "level": exit == .success ? "notice" : "error", "msg": "report", "report": output,
            "exit_code": Int(exit.rawValue),
        ]
        return Redactor.scrub(JSONLine.encode(object))
    }
}
