import Foundation

/// Where the state lives (SPEC §3): `--state-dir`, else the plan's `state_dir`, else systemd's
/// `$STATE_DIRECTORY`, else `/var/lib/envshed-rotator`.
///
/// Never the working directory: an on-call `rotate` started from a shell (no `$STATE_DIRECTORY`)
/// must find the journal the nightly run wrote, or it would take the tokens that run created for
/// leftovers (docs/crash-safety.md).
public enum StatePaths {
    /// The directory systemd's `StateDirectory=envshed-rotator` gives the service.
    public static let defaultDirectory = "/var/lib/envshed-rotator"

    public static func directory(commandLine: String?, plan: Plan?, environment: [String: String]) -> String {
        if let commandLine, !commandLine.isEmpty { return commandLine }
        if let fromPlan = plan?.stateDirectory { return fromPlan }
        if let systemd = environment["STATE_DIRECTORY"], !systemd.isEmpty {
            // systemd passes a colon-separated list when several directories are configured.
            return String(systemd.split(separator: ":").first ?? Substring(systemd))
        }
        return defaultDirectory
    }

    /// Creates the directory (and parents) private to the owner, or checks that an existing one is
    /// safe to write: a directory owned by this user and writable by nobody else. Another user who
    /// can write there could swap the database or the lock for a symlink, or plant a journal that
    /// names live tokens as leftovers.
    static func ensurePrivateDirectory(_ path: String) throws(StateError) {
        var info = stat()
        if stat(path, &info) != 0 {
            guard errno == ENOENT else { throw StateError(path: path, reason: String(cString: strerror(errno))) }
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw StateError(path: path, reason: "cannot create the state directory: \(error)")
            }
            return
        }
        try checkSafe(path, info, mustOwn: true)
    }

    /// Checks an existing directory before reading it (`status`, `plan`): it must still be writable
    /// by nobody but its owner, but root or an auditor may read a directory the service user owns.
    static func checkReadable(_ path: String) throws(StateError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw StateError(path: path, reason: String(cString: strerror(errno))) }
        try checkSafe(path, info, mustOwn: false)
    }

    private static func checkSafe(_ path: String, _ info: stat, mustOwn: Bool) throws(StateError) {
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw StateError(path: path, reason: "exists and is not a directory")
        }
        // root may use the service's directory (the on-call runbook runs `rotate` as root);
        // `handBack` then returns every file it created to the directory's owner.
        if mustOwn, info.st_uid != geteuid(), geteuid() != 0 {
            throw StateError(
                path: path,
                reason: "the state directory is owned by uid \(info.st_uid), not by this user (uid \(geteuid())); run as its owner "
                    + "(for the service: systemctl start envshed-rotator.service) so the journal keeps one owner"
            )
        }
        if info.st_mode & (S_IWGRP | S_IWOTH) != 0 {
            throw StateError(
                path: path,
                reason: "the state directory is writable by group or others (mode \(String(info.st_mode & 0o7777, radix: 8))); chmod 700 it"
            )
        }
    }

    /// After root used a directory another user owns (the systemd service's dynamic user): every
    /// file in it goes back to that owner, or the next nightly run could not open the database or
    /// the lock root created. Links are not followed (`lchown`).
    public static func handBack(_ directory: String) {
        var info = stat()
        guard geteuid() == 0, stat(directory, &info) == 0, info.st_uid != 0,
              let entries = try? FileManager.default.contentsOfDirectory(atPath: directory)
        else { return }
        for entry in entries {
            let path = directory + "/" + entry
            var file = stat()
            if lstat(path, &file) == 0, file.st_uid != info.st_uid || file.st_gid != info.st_gid {
                lchown(path, info.st_uid, info.st_gid)
            }
        }
    }

    /// Refuses a path that is a symbolic link (the database, its WAL and shared-memory files):
    /// the state is only ever the file in the checked directory.
    static func refuseSymlink(_ path: String) throws(StateError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFLNK {
            throw StateError(path: path, reason: "is a symbolic link; the state is never read or written through one — remove it")
        }
    }
}
