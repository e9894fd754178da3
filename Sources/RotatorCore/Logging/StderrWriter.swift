import Foundation
import Logging

/// Every line this process writes to stderr goes through one writer, so that log events, the
/// blast radius, the run report's failure lines and the shutdown notice share one format: in
/// JSON mode each is one JSON object, and when stderr is the journal each starts with its syslog
/// priority (`<3>` error … `<7>` debug), which journald strips and stores as the entry's priority
/// (SPEC §6; https://www.freedesktop.org/software/systemd/man/latest/sd-daemon.html, "SD_ERR").
public final class StderrWriter: Sendable {
    public let format: LogFormat
    /// True when stderr is the journal (`JournalStream`): lines carry `<N>`.
    public let syslogPriorities: Bool
    private let sink: LineSink

    public init(format: LogFormat, syslogPriorities: Bool, sink: LineSink = .standardError) {
        self.format = format
        self.syslogPriorities = syslogPriorities
        self.sink = sink
    }

    /// The syslog priority journald reads from a `<N>` prefix (sd-daemon(3)). swift-log's `trace`
    /// has no syslog counterpart and is stored as debug.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// Writes a message that is not a log event (a console line, a failure line of the report): a
    /// JSON object `{"ts","level","msg"}` in JSON mode, the text as it is otherwise.
    public func say(_ message: String, level: Logger.Level, fields: [String: Any] = [:]) {
        switch format {
        case .json:
            var object = fields
            object["ts"] = Timestamp.format(Date())
            object["level"] = level.rawValue
            object["msg"] = message
            emit(JSONLine.encode(object), level: level)
        case .text:
            emit(message, level: level)
        }
    }

    /// Writes text with no newline after it (a prompt), prefixed like a line.
    public func prompt(_ text: String) {
        sink.write(prefix(.notice) + Redactor.scrub(text))
    }

    /// Writes an already formatted line (or lines: each one gets its own prefix), scrubbed.
    func emit(_ formatted: String, level: Logger.Level) {
        let scrubbed = Redactor.scrub(formatted)
        let lines = scrubbed.split(separator: "\n", omittingEmptySubsequences: false)
        sink.write(lines.map { prefix(level) + $0 }.joined(separator: "\n") + "\n")
    }

    private func prefix(_ level: Logger.Level) -> String {
        syslogPriorities ? "<\(Self.priority(level))>" : ""
    }
}
