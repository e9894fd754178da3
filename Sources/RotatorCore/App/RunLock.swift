import Foundation

/// One writer at a time (SPEC I4): an exclusive `flock` on `lock` in the state directory, with
/// the holder's PID, start time and command written inside so a second run can name it. The
/// kernel drops the lock when the holder dies, so a stale file from a dead process is simply
/// taken over.
public final class RunLock: Sendable {
    public static let fileName = "lock"

    private let descriptor: Int32
    public let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Takes the lock, waiting up to `wait` for the holder to finish.
    /// - Throws: `RunLockError.held` naming the holder when it is still held after `wait`.
    public static func acquire(directory: String, command: String, wait: Duration = .zero) async throws(RunLockError) -> RunLock {
        let path = directory + "/" + fileName
        do {
            try StatePaths.ensurePrivateDirectory(directory)
        } catch {
            throw RunLockError.unusable(path: directory, reason: "\(error)")
        }
        // O_NOFOLLOW: a lock that is a symlink could make this run truncate-write someone else's file.
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            let reason = errno == ELOOP ? "is a symbolic link; remove it" : String(cString: strerror(errno))
            throw RunLockError.unusable(path: path, reason: reason)
        }
        let deadline = ContinuousClock.now.advanced(by: wait)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK, ContinuousClock.now < deadline else {
                let holder = Self.holder(descriptor)
                close(descriptor)
                throw RunLockError.held(path: path, holder: holder)
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        // One write of a fixed-size record, never a truncate first: a second run reading the file
        // at any moment sees either the previous holder's record or this one, never an empty file.
        var owner = Array("pid=\(getpid()) started=\(Timestamp.format(Date())) command=\(command)".utf8.prefix(ownerRecordSize - 1))
        owner += [UInt8](repeating: 0x20, count: ownerRecordSize - 1 - owner.count) + [0x0A]
        _ = pwrite(descriptor, owner, owner.count, 0)
        fsync(descriptor)
        return RunLock(descriptor: descriptor, path: path)
    }

    /// The size of the holder's record at the start of the lock file.
    static let ownerRecordSize = 256

    /// The holder's record. A lock file created a moment ago by a run that has not yet written
    /// its record reads empty: wait briefly for it rather than name "an unknown process".
    private static func holder(_ descriptor: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: ownerRecordSize)
        for _ in 0..<50 {
            let count = pread(descriptor, &buffer, buffer.count, 0)
            if count > 0 {
                return String(decoding: buffer.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            usleep(10_000)
        }
        return "an unknown process"
    }
}

public enum RunLockError: Error, CustomStringConvertible, Sendable {
    case held(path: String, holder: String)
    case unusable(path: String, reason: String)

    public var description: String {
        switch self {
        case .held(let path, let holder):
            "another envshed-rotator run holds \(path) (\(holder)); try again when it ends"
        case .unusable(let path, let reason):
            "cannot use the lock \(path): \(reason)"
        }
    }
}
