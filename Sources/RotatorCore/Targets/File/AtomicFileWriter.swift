import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces a file's content atomically: a reader sees the old token or the new one, never half of
/// one, and never a file with looser permissions.
///
/// A temporary file is created in the same directory (`O_CREAT|O_EXCL`, so nothing pre-existing is
/// reused), given its mode and owner *before* any byte is written, written, `fsync`ed, renamed over
/// the destination, and the directory is `fsync`ed so the rename survives a power cut.
enum AtomicFileWriter {
    /// - Parameters:
    ///   - bytes: the whole new content.
    ///   - path: the destination; its directory must exist.
    ///   - mode: permission bits of the new file (umask does not apply).
    ///   - ownership: owner and group to give the file, or nil to keep this process's.
    /// - Throws: `FileWriteError` naming the step and the system's reason; `landed` tells whether the
    ///   destination already holds the new content.
    static func write(_ bytes: [UInt8], to path: String, mode: mode_t, ownership: FileOwnership?) throws(FileWriteError) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".envshed-rotator-" + randomSuffix() + ".tmp"

        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode_t(0o600) & mode)
        guard descriptor >= 0 else { throw FileWriteError(step: "create a temporary file in \(directory)", errno: errno) }
        var committed = false
        defer {
            if !committed { unlink(temporary) }
        }
        do {
            defer { close(descriptor) }
            // Mode and owner first: the token is never readable by anyone it is not meant for.
            guard fchmod(descriptor, mode) == 0 else { throw FileWriteError(step: "set mode \(String(mode, radix: 8))", errno: errno) }
            if let ownership {
                guard fchown(descriptor, ownership.userID, ownership.groupID ?? gid_t.max) == 0 else {
                    throw FileWriteError(step: "change the owner to uid \(ownership.userID)", errno: errno)
                }
            }
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { buffer in
                    Glibc.write(descriptor, buffer.baseAddress, buffer.count)
                }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw FileWriteError(step: "write", errno: errno)
                }
                offset += written
            }
            guard fsync(descriptor) == 0 else { throw FileWriteError(step: "fsync", errno: errno) }
        }
        guard rename(temporary, path) == 0 else { throw FileWriteError(step: "rename over \(path)", errno: errno) }
        committed = true
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryDescriptor >= 0 else { throw FileWriteError(step: "open \(directory) to fsync it", errno: errno, landed: true) }
        defer { close(directoryDescriptor) }
        guard fsync(directoryDescriptor) == 0 else { throw FileWriteError(step: "fsync \(directory)", errno: errno, landed: true) }
    }

    private static func randomSuffix() -> String {
        (0..<8).map { _ in String(UInt8.random(in: 0...15), radix: 16) }.joined()
    }
}

/// A step of an atomic write failed.
struct FileWriteError: Error, CustomStringConvertible, Sendable {
    var step: String
    var reason: String
    /// True when the rename had happened: the file holds the new content although a later step failed.
    var landed: Bool

    init(step: String, errno code: Int32, landed: Bool = false) {
        self.step = step
        self.reason = String(cString: strerror(code))
        self.landed = landed
    }

    var description: String { "cannot \(step): \(reason)" }
}
