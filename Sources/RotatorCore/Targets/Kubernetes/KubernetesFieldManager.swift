/// The server-side apply field manager of one Kubernetes target: `envshed-rotator/<key>`.
///
/// Server-side apply prunes a field that a manager applied before and leaves out now, unless
/// another manager also owns it (https://kubernetes.io/docs/reference/using-api/server-side-apply/).
/// With one manager for every target, two rotations writing two keys of one Secret would delete
/// each other's key. A manager per key applies the same single field every time, so it never
/// leaves out a field it owned and its applies never prune anything; a target removed from the
/// plan stops applying and its key stays where it is.
///
/// The manager names the key and not the Secret: ownership is recorded per object, and the plan
/// refuses two targets with the same Secret and key.
enum KubernetesFieldManager {
    static let prefix = "envshed-rotator/"
    /// `FieldManagerMaxLength` of the API server's `PatchOptions` validation, in bytes.
    static let maxLength = 128
    static let hashLength = 16

    /// `envshed-rotator/<key>` when that fits in `maxLength`; otherwise the start of the key, `~`
    /// and 16 hex digits of the SHA-256 of the whole key. Keys are letters, digits, `-`, `_` and
    /// `.` (`TargetParser`), so a name with `~` is never the untruncated name of another key, and
    /// two long keys share a name only if their hashes do.
    static func name(forKey key: String) -> String {
        let whole = prefix + key
        guard whole.utf8.count > maxLength else { return whole }
        let hash = SHA256Digest.hex(of: Array(key.utf8)).prefix(hashLength)
        let room = maxLength - prefix.utf8.count - 1 - hashLength
        return prefix + String(decoding: key.utf8.prefix(room), as: UTF8.self) + "~" + hash
    }
}
