import Foundation

/// Whether a file descriptor is connected to the journal. systemd sets `$JOURNAL_STREAM` to
/// `DEVICE:INODE` of the stream it connected stdout/stderr to; a descriptor is the journal only
/// when its `fstat` matches, since a child whose stderr was redirected inherits the variable
/// (https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html, `$JOURNAL_STREAM`).
public enum JournalStream {
    /// - Parameters:
    ///   - descriptor: the descriptor to check (`STDERR_FILENO`, `STDOUT_FILENO`).
    ///   - value: `$JOURNAL_STREAM`, if set.
    public static func isJournal(_ descriptor: Int32, value: String?) -> Bool {
        guard let (device, inode) = parse(value) else { return false }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }

    /// `"2049:123456"` → (2049, 123456); nil for anything else.
    static func parse(_ value: String?) -> (device: UInt64, inode: UInt64)? {
        guard let parts = value?.split(separator: ":", omittingEmptySubsequences: false), parts.count == 2,
              let device = UInt64(parts[0]), let inode = UInt64(parts[1])
        else { return nil }
        return (device, inode)
    }
}
