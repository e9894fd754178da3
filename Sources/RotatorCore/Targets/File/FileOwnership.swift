#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file target's `owner: user[:group]`, resolved with `getpwnam`/`getgrnam` (names or numeric ids).
struct FileOwnership: Sendable, Hashable {
    var userID: uid_t
    /// nil: the user's primary group is kept as the file gets it (`chown user file`).
    var groupID: gid_t?

    /// Why `owner` cannot be used on this machine, or nil. Checked by `validate`, offline.
    static func problem(with owner: String) -> String? {
        do {
            _ = try resolve(owner)
            return nil
        } catch {
            return error.reason
        }
    }

    /// - Throws: `FileOwnershipError` naming the user or group that does not exist.
    static func resolve(_ owner: String) throws(FileOwnershipError) -> FileOwnership {
        let parts = owner.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts.count == 1 || !parts[1].isEmpty else {
            throw FileOwnershipError(reason: "expected user or user:group, got '\(owner)'")
        }
        let user: uid_t
        if let number = uid_t(parts[0]) {
            user = number
        } else if let entry = getpwnam(parts[0]) {
            user = entry.pointee.pw_uid
        } else {
            throw FileOwnershipError(reason: "no user named '\(parts[0])' on this machine")
        }
        var group: gid_t?
        if parts.count == 2 {
            if let number = gid_t(parts[1]) {
                group = number
            } else if let entry = getgrnam(parts[1]) {
                group = entry.pointee.gr_gid
            } else {
                throw FileOwnershipError(reason: "no group named '\(parts[1])' on this machine")
            }
        }
        return FileOwnership(userID: user, groupID: group)
    }
}

struct FileOwnershipError: Error, Sendable {
    var reason: String
}
