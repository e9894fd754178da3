import Foundation
import Logging
import Testing
@testable import RotatorCore

/// The stderr format journald and scripts read: `<N>` only when stderr is the journal, one JSON
/// object per line in JSON mode, each line of a multi-line text message prefixed.
@Suite("stderr lines: syslog priorities and JSON")
struct StderrWriterTests {
    /// Runs `body` with a writer into a temporary file and returns what it wrote.
    private func written(format: LogFormat, priorities: Bool, _ body: (StderrWriter) -> Void) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stderr-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: path, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        body(StderrWriter(format: format, syslogPriorities: priorities, sink: LineSink(handle: handle)))
        try handle.close()
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    @Test("levels map to syslog priorities as sd-daemon(3) defines them", arguments: [
        (Logger.Level.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
    ])
    func priority(level: Logger.Level, expected: Int) {
        #expect(StderrWriter.priority(level) == expected)
    }

    @Test("JSON mode with priorities: <3>{…} with the message as msg")
    func jsonWithPriorities() throws {
        let text = try written(format: .json, priorities: true) { $0.say("rotation \"x\" failed\nsecond line", level: .error) }
        #expect(text.hasPrefix("<3>{"), "\(text)")
        #expect(text.filter { $0 == "\n" }.count == 1, "one line: \(text)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.dropFirst(3).utf8)) as? [String: Any])
        #expect(object["msg"] as? String == "rotation \"x\" failed\nsecond line")
        #expect(object["level"] as? String == "error")
    }

    @Test("text mode: every line of a message gets the prefix; none without priorities")
    func textLines() throws {
        let prefixed = try written(format: .text, priorities: true) { $0.say("first\nsecond", level: .warning) }
        #expect(prefixed == "<4>first\n<4>second\n")
        let plain = try written(format: .text, priorities: false) { $0.say("first\nsecond", level: .warning) }
        #expect(plain == "first\nsecond\n")
    }

    @Test("log events through the handler carry the event's priority")
    func handler() throws {
        let text = try written(format: .json, priorities: true) { writer in
            let logger = Logger(label: "t") { _ in StderrLogHandler(writer: writer, level: .trace) }
            logger.debug("d")
            logger.warning("w")
        }
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("<7>{") == true && lines.last?.hasPrefix("<4>{") == true, "\(text)")
    }

    @Test("JOURNAL_STREAM names a descriptor only when device and inode match")
    func journalStream() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: path, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let descriptor = open(path, O_RDONLY)
        defer { close(descriptor) }
        var info = stat()
        #expect(fstat(descriptor, &info) == 0)
        #expect(JournalStream.isJournal(descriptor, value: "\(info.st_dev):\(info.st_ino)"))
        #expect(!JournalStream.isJournal(descriptor, value: "\(info.st_dev):\(info.st_ino + 1)"))
        #expect(!JournalStream.isJournal(descriptor, value: nil))
        #expect(!JournalStream.isJournal(descriptor, value: "garbage"))
        #expect(JournalStream.parse("8:42")! == (8, 42))
    }

    @Test("a report becomes one JSON line: a --json document compacted, a text report wrapped")
    func reportLine() throws {
        let document = ReportLine.oneLine("{\n  \"exit_code\" : 0,\n  \"target\" : \"github:acme/api\"\n}", exit: .success)
        #expect(document == "{\"exit_code\":0,\"target\":\"github:acme/api\"}")
        let text = ReportLine.oneLine("api  rotated\nweb  not due", exit: .failure)
        #expect(!text.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["report"] as? String == "api  rotated\nweb  not due")
        #expect(object["exit_code"] as? Int == 1)
    }
}

/// The progress line's text and when a plain line is printed.
@Suite("Run progress")
struct RunProgressTests {
    @Test("the line: done/due, failures, elapsed as mm:ss or h:mm:ss")
    func line() {
        let start = Date(timeIntervalSince1970: 1_000)
        #expect(RunProgress(due: 10, done: 3, failed: 1, startedAt: start).line(now: start.addingTimeInterval(42)) == "3/10 rotations done, 1 failed, 00:42 elapsed")
        #expect(RunProgress(due: 1, startedAt: start).line(now: start.addingTimeInterval(3_725)) == "0/1 rotation done, 0 failed, 1:02:05 elapsed")
    }

    @Test("plain lines: each of a small run, about twenty of a large one")
    func milestones() {
        let start = Date()
        #expect((1...5).allSatisfy { RunProgress(due: 5, done: $0, startedAt: start).isMilestone })
        let printed = (1...5_000).filter { RunProgress(due: 5_000, done: $0, startedAt: start).isMilestone }.count
        #expect(printed == 20, "\(printed)")
        #expect(!RunProgress(due: 5_000, done: 0, startedAt: start).isMilestone)
    }

    @Test("a status line is erased before each line and drawn again below it")
    func statusLine() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("status-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: path, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        let writer = StderrWriter(format: .text, syslogPriorities: false, sink: LineSink(handle: handle))
        writer.setStatus { "1/2" }
        writer.say("step", level: .info)
        writer.setStatus(nil)
        writer.say("after", level: .info)
        try handle.close()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == "\r\u{1B}[K1/2\r\u{1B}[Kstep\n1/2\r\u{1B}[Kafter\n")
    }
}
