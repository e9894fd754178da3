import Foundation
import Logging
import Synchronization

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
    /// The progress line kept at the bottom of a terminal, redrawn after every line; nil: none.
    private let status = Mutex<(@Sendable () -> String)?>(nil)

    public init(format: LogFormat, syslogPriorities: Bool, sink: LineSink = .standardError) {
        self.format = format
        self.syslogPriorities = syslogPriorities
        self.sink = sink
    }

    /// Erases the terminal's current line (VT100 `CR`, `EL`).
    private static let eraseLine = "\r\u{1B}[K"

    /// Shows `render()` as the terminal's last line, kept there below every line written after
    /// it, until `setStatus(nil)` erases it. Only for a terminal: elsewhere the escape codes
    /// would be noise.
    public func setStatus(_ render: (@Sendable () -> String)?) {
        status.withLock { current in
            if current != nil || render != nil { sink.write(Self.eraseLine + (render?() ?? "")) }
            current = render
        }
    }

    /// Redraws the status line (elapsed time moves on), if one is shown.
    public func redrawStatus() {
        status.withLock { current in
            if let current { sink.write(Self.eraseLine + current()) }
        }
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
        setStatus(nil)
        sink.write(prefix(.notice) + Redactor.scrub(text))
    }

    /// Writes an already formatted line (or lines: each one gets its own prefix), scrubbed; a
    /// status line is erased first and drawn again below.
    func emit(_ formatted: String, level: Logger.Level) {
        let scrubbed = Redactor.scrub(formatted)
        let lines = scrubbed.split(separator: "\n", omittingEmptySubsequences: false)
        let text = lines.map { prefix(level) + $0 }.joined(separator: "\n") + "\n"
        status.withLock { current in
            if let current {
                sink.write(Self.eraseLine + text + current())
            } else {
                sink.write(text)
            }
        }
    }

    private func prefix(_ level: Logger.Level) -> String {
        syslogPriorities ? "<\(Self.priority(level))>" : ""
    }
}
