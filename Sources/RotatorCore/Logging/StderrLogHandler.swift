import Foundation
import Logging
import Synchronization

/// Writes one line per event to stderr: readable text on a terminal, a JSON object otherwise
/// (journald keeps stderr lines as messages). Every line goes through `Redactor`, and through
/// the `StderrWriter` that adds the syslog priority when stderr is the journal.
public struct StderrLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let format: LogFormat
    private let writer: StderrWriter

    public init(format: LogFormat, level: Logger.Level, sink: LineSink = .standardError) {
        self.init(writer: StderrWriter(format: format, syslogPriorities: false, sink: sink), level: level)
    }

    public init(writer: StderrWriter, level: Logger.Level) {
        self.format = writer.format
        self.logLevel = level
        self.writer = writer
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        let line: String
        switch format {
        case .json: line = jsonLine(event: event, metadata: merged)
        case .text: line = textLine(event: event, metadata: merged)
        }
        writer.emit(line, level: event.level)
    }

    private func jsonLine(event: LogEvent, metadata: Logger.Metadata) -> String {
        var object: [String: Any] = [
            "ts": Timestamp.format(Date()),
            "level": event.level.rawValue,
            "msg": event.message.description,
        ]
        for (key, value) in metadata {
            object[key] = Self.jsonValue(value)
        }
        return JSONLine.encode(object)
    }

    private static func jsonValue(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let text):
            if let number = Int(text), text == String(number) { return number }
            return text
        case .stringConvertible(let convertible): return convertible.description
        case .array(let values): return values.map(jsonValue)
        case .dictionary(let values): return values.mapValues(jsonValue)
        }
    }

    /// `10:04:31 info  [run 3f2a1c] api-production-ci push github:acme/api/ENVSHED_TOKEN ok 182ms — message`
    private func textLine(event: LogEvent, metadata: Logger.Metadata) -> String {
        let time = Timestamp.timeOfDay(Date())
        var parts = [time, event.level.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)]
        let ordered = [LogKeys.rotation, LogKeys.step, LogKeys.target, LogKeys.outcome]
        for key in ordered {
            if let value = metadata[key] { parts.append("\(value)") }
        }
        if let token = metadata[LogKeys.tokenID] { parts.append("token=\(token)") }
        if let duration = metadata[LogKeys.durationMS] { parts.append("\(duration)ms") }
        var line = parts.joined(separator: " ")
        let message = event.message.description
        if !message.isEmpty { line += " — " + message }
        let shown = Set(ordered + [LogKeys.tokenID, LogKeys.durationMS, LogKeys.runID])
        let rest = metadata.filter { !shown.contains($0.key) }.sorted { $0.key < $1.key }
        if !rest.isEmpty {
            line += " (" + rest.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + ")"
        }
        return line
    }
}

/// Where finished lines go. A class so that the lock is shared by every copy of the handler.
public final class LineSink: Sendable {
    private let handle: Mutex<FileHandle>

    public init(handle: FileHandle) {
        self.handle = Mutex(handle)
    }

    public static let standardError = LineSink(handle: FileHandle.standardError)

    func write(_ line: String) {
        handle.withLock { $0.write(Data(line.utf8)) }
    }
}
