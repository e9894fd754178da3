import Foundation

/// Whether a user can create a file in a directory, judged from the mode bits, the owner and the
/// group of the directory and of every directory above it (search permission), and from a
/// read-only mount. The bot writes every file (targets, metrics, state) as a temporary file in
/// the destination's directory renamed over it, so creating in the directory is what it needs.
/// `plan` runs this as the user that will run the plan, which need not be the user running `plan`.
public struct WriteAccess: Sendable {
    public let name: String
    public let uid: uid_t
    public let groups: Set<gid_t>

    /// This process's effective user and groups.
    public static func current() -> WriteAccess {
        let uid = geteuid()
        var groups: Set<gid_t> = [getegid()]
        let count = getgroups(0, nil)
        if count > 0 {
            var list = [gid_t](repeating: 0, count: Int(count))
            let got = getgroups(count, &list)
            if got > 0 { groups.formUnion(list.prefix(Int(got))) }
        }
        let name = getpwuid(uid).map { String(cString: $0.pointee.pw_name) } ?? "uid \(uid)"
        return WriteAccess(name: name, uid: uid, groups: groups)
    }

    /// A user of this machine by name or number, with its supplementary groups; nil if unknown.
    public static func user(_ nameOrID: String) -> WriteAccess? {
        let entry = uid_t(nameOrID).flatMap { getpwuid($0) } ?? getpwnam(nameOrID)
        guard let entry else { return nil }
        let uid = entry.pointee.pw_uid
        let primary = entry.pointee.pw_gid
        let name = String(cString: entry.pointee.pw_name)
        var count: Int32 = 64
        var list = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, primary, &list, &count) < 0 {
            list = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(name, primary, &list, &count)
        }
        return WriteAccess(name: name, uid: uid, groups: Set(list.prefix(Int(max(count, 0)))).union([primary]))
    }

    /// Why this user cannot create a file in `directory`, or nil when it can. A directory that
    /// does not exist yet is judged by its parent (the state directory is created on first use).
    public func problem(creatingIn directory: String, mayCreateDirectory: Bool = false) -> String? {
        var info = stat()
        guard stat(directory, &info) == 0 else {
            let parent = URL(fileURLWithPath: directory).deletingLastPathComponent().path
            guard mayCreateDirectory, parent != directory else { return "\(directory) does not exist" }
            return problem(creatingIn: parent).map { "\(directory) does not exist and cannot be created: \($0)" }
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { return "\(directory) is not a directory" }
        var mount = statvfs()
        // ST_RDONLY is 1 (statvfs(3)).
        if statvfs(directory, &mount) == 0, mount.f_flag & 1 != 0 {
            return "\(directory) is on a read-only file system"
        }
        if let blocked = unsearchableAncestor(of: directory) {
            return "\(name) cannot enter \(blocked)"
        }
        guard allows(info, write: true) else {
            return "\(name) cannot create files in \(directory) (owner uid \(info.st_uid), group gid \(info.st_gid), mode \(String(info.st_mode & 0o7777, radix: 8)))"
        }
        return nil
    }

    /// The first directory on the way to `path` (itself included) that this user cannot search.
    private func unsearchableAncestor(of path: String) -> String? {
        var current = ""
        for component in URL(fileURLWithPath: path).standardizedFileURL.pathComponents {
            current = component == "/" ? "/" : (current == "/" ? "/" : current + "/") + component
            var info = stat()
            guard stat(current, &info) == 0 else { return current }
            if !allows(info, write: false) { return current }
        }
        return nil
    }

    /// Search (and, with `write`, write) permission on a directory for this user.
    private func allows(_ info: stat, write: Bool) -> Bool {
        if uid == 0 { return true }
        // Search and write bits of the owner (0o100, 0o200), the group (0o010, 0o020) and others.
        let needed: mode_t
        if info.st_uid == uid {
            needed = 0o100 | (write ? 0o200 : 0)
        } else if groups.contains(info.st_gid) {
            needed = 0o010 | (write ? 0o020 : 0)
        } else {
            needed = 0o001 | (write ? 0o002 : 0)
        }
        return info.st_mode & needed == needed
    }
}
