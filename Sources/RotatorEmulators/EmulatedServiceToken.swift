import Foundation

/// A service token as the Envshed emulator holds it, value included, for tests to inspect.
public struct EmulatedServiceToken: Sendable {
    /// Lowercase UUID.
    public let id: String
    public let name: String
    public let description: String?
    /// `envshed_svc_` followed by 40 letters and digits.
    public let value: String
    /// `org`, `project` or `environment`.
    public let scope: String
    public let projectID: String?
    public let environmentID: String?
    /// `read` or `read_write`.
    public let permission: String
    /// Whole seconds, as the API prints it.
    public let createdAt: Date
    /// Whole seconds, as the API prints it; nil when the token never expires.
    public let expiresAt: Date?
    /// When the token was revoked, or nil while it has not been.
    public internal(set) var revokedAt: Date?

    /// Whether the token still authenticates: neither revoked nor past its expiry.
    public var isLive: Bool {
        isLive(at: Date())
    }

    func isLive(at now: Date) -> Bool {
        revokedAt == nil && !isExpired(at: now)
    }

    func isExpired(at now: Date) -> Bool {
        guard let expiresAt else {
            return false
        }
        return expiresAt <= now
    }
}
