import Foundation

/// Where a credential lives, as the plan names it. The plan never holds the value itself.
///
/// - `env:NAME`: an environment variable;
/// - `file:/path`: a whole file, trailing newline stripped, refused when group or others can read it
///   (one exception: a Kubernetes Secret volume readable by the pod's own `fsGroup`, see
///   `isKubernetesVolumeFile`);
/// - `systemd:NAME`: `$CREDENTIALS_DIRECTORY/NAME`, as systemd's `LoadCredential=` provides it.
public enum CredentialReference: Sendable, Hashable, CustomStringConvertible {
    case environment(String)
    case file(String)
    case systemd(String)

    /// Parses `env:NAME`, `file:/path` or `systemd:NAME`; nil for anything else (a literal secret).
    public init?(parsing text: String) {
        if text.hasPrefix("env:"), Self.isName(String(text.dropFirst(4))) {
            self = .environment(String(text.dropFirst(4)))
        } else if text.hasPrefix("file:"), text.dropFirst(5).hasPrefix("/") {
            self = .file(String(text.dropFirst(5)))
        } else if text.hasPrefix("systemd:"), Self.isName(String(text.dropFirst(8))) {
            self = .systemd(String(text.dropFirst(8)))
        } else {
            return nil
        }
    }

    private static func isName(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }
    }

    public var description: String {
        switch self {
        case .environment(let name): "env:\(name)"
        case .file(let path): "file:\(path)"
        case .systemd(let name): "systemd:\(name)"
        }
    }

    /// Reads the credential now.
    /// - Throws: `CredentialError` naming the reference (never the value) and what to do.
    public func resolve(environment: [String: String]) throws(CredentialError) -> Secret {
        switch self {
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else {
                throw CredentialError(reference: description, reason: "the environment variable \(name) is not set or empty")
            }
            return Secret(value)
        case .file(let path):
            return try Self.readFile(path, reference: description)
        case .systemd(let name):
            guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
                throw CredentialError(
                    reference: description,
                    reason: "CREDENTIALS_DIRECTORY is not set; run under systemd with LoadCredential=\(name):/path"
                )
            }
            return try Self.readFile(directory + "/" + name, reference: description, checkMode: false)
        }
    }

    /// systemd's credential directory is private to the unit already, so its mode is not checked.
    private static func readFile(_ path: String, reference: String, checkMode: Bool = true) throws(CredentialError) -> Secret {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CredentialError(reference: reference, reason: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        if checkMode && info.st_mode & 0o044 != 0 && !isKubernetesVolumeFile(path, info) {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw CredentialError(
                reference: reference,
                reason: "\(path) is readable by group or others (mode \(mode)); run chmod 600 \(path)"
            )
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CredentialError(reference: reference, reason: "cannot read \(path)")
        }
        var text = String(decoding: data, as: UTF8.self)
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        guard !text.isEmpty else {
            throw CredentialError(reference: reference, reason: "\(path) is empty")
        }
        return Secret(text)
    }
}

extension CredentialReference {
    /// A file of a Secret volume that the kubelet made readable to this process's own group and
    /// nobody else. A non-root pod can read a Secret volume only through `fsGroup`, and the kubelet
    /// then adds group read to every file whatever `defaultMode` says (`SetVolumeOwnership`,
    /// kubernetes/kubernetes `pkg/volume/volume_linux.go`; the `defaultMode` field's documentation:
    /// "this might be in conflict with other options that affect the file mode, like fsGroup").
    /// Accepted only when: no bit for others, no group write, the file's group is this process's
    /// effective group, and the directory is a kubelet atomic-writer volume: the file is owned by
    /// root and the directory holds a `..data` symbolic link owned by root, which the kubelet makes
    /// and an unprivileged user cannot. A group-readable file elsewhere (a shared `users` group on
    /// a host, a `..data` someone made in /tmp) is still refused.
    static func isKubernetesVolumeFile(_ path: String, _ info: stat) -> Bool {
        guard info.st_mode & 0o007 == 0, info.st_mode & 0o020 == 0, info.st_gid == getegid(), info.st_uid == 0 else { return false }
        let directory = (path as NSString).deletingLastPathComponent
        var marker = stat()
        guard lstat(directory + "/..data", &marker) == 0 else { return false }
        return marker.st_mode & S_IFMT == S_IFLNK && marker.st_uid == 0
    }
}

public struct CredentialError: Error, CustomStringConvertible, Sendable {
    public var reference: String
    public var reason: String

    public var description: String { "credential \(reference): \(reason)" }
}
