import Foundation
import Logging
import Synchronization

/// The append-only audit trail (SPEC §6): `audit.jsonl` in the state directory, mode 0600, one JSON
/// object per line, one line per step, decision, run start and end, emergency request and failed
/// notification. Each record carries `seq` (1, 2, 3…), `ts` and `prev`, the SHA-256 (hex) of the
/// previous line's exact bytes (without its newline; 64 zeros for the first record), so that an
/// edited, removed or inserted line breaks the chain that `audit verify` checks.
///
/// Lines are written with `O_APPEND` under an exclusive `flock`; run, request and notification
/// records are `fsync`ed before `append` returns (and with them every step record before them). Every line passes through `Redactor`; callers put ids, names and fingerprints in it,
/// never a token value.
public final class AuditTrail: Sendable {
    public static let fileName = "audit.jsonl"
    /// The `prev` of the first record.
    public static let genesis = String(repeating: "0", count: 64)

    public let path: String
    private let directory: String
    private let logger: Logger
    private let now: @Sendable () -> Date
    /// Serializes appends within this process (`flock` serializes them with other processes), and
    /// remembers the end of the file as this process left it.
    private let tail = Mutex<Tail?>(nil)

    /// The file as the last append left it. When it is still the same file, with the same size,
    /// no other process appended since: the next record chains to `hash` without reading and
    /// parsing the last line again (several records are written per step).
    private struct Tail {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var seq: Int
        var hash: String
    }

    public init(directory: String, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.path = directory + "/" + Self.fileName
        self.directory = directory
        self.logger = logger
        self.now = now
    }

    /// Appends one record. A record that cannot be written is reported as an error log line (the
    /// step itself is still in the state's journal) and does not stop the rotation.
    /// - Parameters:
    ///   - event: `step`, `run_started`, `run_finished`, `rotate_requested`, `notification`.
    ///   - fields: the record's other keys; nil values are left out.
    public func append(_ event: String, _ fields: [String: (any Sendable)?]) {
        tail.withLock { tail in
            do {
                try write(event, fields, tail: &tail)
            } catch {
                tail = nil
                logger.error("audit trail: cannot append a record: \(error)", metadata: ["audit.path": "\(path)"])
            }
        }
    }

    private func write(_ event: String, _ fields: [String: (any Sendable)?], tail: inout Tail?) throws(AuditError) {
        let descriptor = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw AuditError(path: path, step: "open", errno: errno) }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { throw AuditError(path: path, step: "lock", errno: errno) }
        defer { flock(descriptor, LOCK_UN) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw AuditError(path: path, step: "stat", errno: errno) }

        let seq: Int
        let previousHash: String
        if let known = tail, known.device == UInt64(info.st_dev), known.inode == UInt64(info.st_ino), known.size == Int64(info.st_size) {
            seq = known.seq + 1
            previousHash = known.hash
        } else {
            // Never readable by anyone else, even if an earlier version or a person widened it.
            fchmod(descriptor, 0o600)
            if let owner = DirectoryOwner.ownership(of: directory) {
                fchown(descriptor, owner.userID, owner.groupID ?? gid_t.max)
            }
            let (previous, endsWithNewline) = try Self.lastLine(descriptor, path: path)
            if !endsWithNewline {
                // A line torn by a crash: end it, so the new record starts on its own line. `audit
                // verify` reports the torn line; the chain continues from its bytes.
                try Self.writeAll(descriptor, [0x0A], path: path)
            }
            if let previous {
                if let object = try? JSONSerialization.jsonObject(with: Data(previous)) as? [String: Any], let number = object["seq"] as? Int {
                    seq = number + 1
                } else {
                    seq = try Self.lineCount(descriptor, path: path) + 1
                }
            } else {
                seq = 1
            }
            previousHash = previous.map { SHA256Digest.hex(of: $0) } ?? Self.genesis
        }
        var record: [String: Any] = [:]
        for (key, value) in fields {
            guard let value else { continue }
            switch value {
            case let text as String: record[key] = Redactor.scrub(text)
            case let number as Int64: record[key] = Int(number)
            default: record[key] = value
            }
        }
        record["event"] = event
        record["seq"] = seq
        record["ts"] = Timestamp.formatFractional(now())
        record["prev"] = previousHash
        let line = Array(Redactor.scrub(JSONLine.encode(record)).utf8)
        tail = nil
        try Self.writeAll(descriptor, line + [0x0A], path: path)
        var written = stat()
        if fstat(descriptor, &written) == 0 {
            tail = Tail(
                device: UInt64(written.st_dev), inode: UInt64(written.st_ino), size: Int64(written.st_size), seq: seq,
                hash: SHA256Digest.hex(of: line)
            )
        }
        // Step records are many (several per rotation) and already journaled in the state; they
        // reach the disk with the next run or request record, which is synced. A killed process
        // loses none of them (they are in the page cache once written).
        if event != "step" {
            guard fsync(descriptor) == 0 else { throw AuditError(path: path, step: "fsync", errno: errno) }
        }
    }

    /// The last line's bytes (without its newline), and whether the file ends with a newline.
    static func lastLine(_ descriptor: Int32, path: String) throws(AuditError) -> ([UInt8]?, Bool) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw AuditError(path: path, step: "stat", errno: errno) }
        let size = Int(info.st_size)
        guard size > 0 else { return (nil, true) }
        var chunk = 4_096
        while true {
            let start = max(0, size - chunk)
            var buffer = [UInt8](repeating: 0, count: size - start)
            let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(start)) }
            guard count == buffer.count else { throw AuditError(path: path, step: "read", errno: errno) }
            let endsWithNewline = buffer.last == 0x0A
            let body = endsWithNewline ? buffer.dropLast() : buffer[...]
            if let newline = body.lastIndex(of: 0x0A) {
                return (Array(body[(newline + 1)...]), endsWithNewline)
            }
            if start == 0 { return (Array(body), endsWithNewline) }
            chunk *= 4
        }
    }

    /// Lines in the file: the fallback numbering when the last line is not a record.
    private static func lineCount(_ descriptor: Int32, path: String) throws(AuditError) -> Int {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw AuditError(path: path, step: "stat", errno: errno) }
        var buffer = [UInt8](repeating: 0, count: Int(info.st_size))
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count == buffer.count else { throw AuditError(path: path, step: "read", errno: errno) }
        return buffer.split(separator: 0x0A, omittingEmptySubsequences: false).count - (buffer.last == 0x0A ? 1 : 0)
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws(AuditError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw AuditError(path: path, step: "write", errno: errno)
            }
            offset += written
        }
    }
}

/// The audit trail could not be written or read.
public struct AuditError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var step: String
    public var reason: String

    init(path: String, step: String, errno code: Int32) {
        self.init(path: path, step: step, reason: String(cString: strerror(code)))
    }

    init(path: String, step: String, reason: String) {
        self.path = path
        self.step = step
        self.reason = reason
    }

    public var description: String { "\(path): cannot \(step): \(reason)" }
}
