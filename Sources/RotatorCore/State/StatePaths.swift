import Foundation

/// Where the state lives (SPEC §3): `--state-dir`, else the plan's `state_dir`, else systemd's
/// `$STATE_DIRECTORY`, else `./.envshed-rotator`.
public enum StatePaths {
    public static func directory(commandLine: String?, plan: Plan?, environment: [String: String]) -> String {
        if let commandLine, !commandLine.isEmpty { return commandLine }
        if let fromPlan = plan?.stateDirectory { return fromPlan }
        if let systemd = environment["STATE_DIRECTORY"], !systemd.isEmpty {
            // systemd passes a colon-separated list when several directories are configured.
            return String(systemd.split(separator: ":").first ?? Substring(systemd))
        }
        return "./.envshed-rotator"
    }

    /// Creates the directory (and parents) private to the owner.
    static func ensurePrivateDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw StateError(path: path, reason: "exists and is not a directory")
            }
            return
        }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
}
