import Foundation

/// When root runs a command against a directory that belongs to someone else — an on-call
/// `rotate` from a root shell, against the state directory of the service's dynamic user — the
/// files it creates there are handed to the directory's owner, so the service can keep writing
/// them (the audit trail, the metrics file).
enum DirectoryOwner {
    /// The owner to give a new file in `directory`, or nil when nothing needs changing (not root,
    /// or a directory root owns).
    static func ownership(of directory: String) -> FileOwnership? {
        guard geteuid() == 0 else { return nil }
        var info = stat()
        guard stat(directory, &info) == 0, info.st_uid != 0 else { return nil }
        return FileOwnership(userID: info.st_uid, groupID: info.st_gid)
    }
}
