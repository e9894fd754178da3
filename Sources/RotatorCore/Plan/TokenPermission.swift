/// Envshed service-token permission: `read` pulls secrets, `read_write` may also change them.
public enum TokenPermission: String, Sendable, CaseIterable, Codable {
    case read
    case readWrite = "read_write"
}
