import Foundation

/// One write (`PUT` or `POST`) to a variable the GitLab emulator received, accepted or not.
public struct GitLabVariableWrite: Sendable {
    /// `project` or `group`.
    public let ownerKind: String
    /// The project or group path (or id) as it appeared in the URL, percent-decoded.
    public let owner: String
    /// The variable's key: from the path for `PUT`, from the body for `POST` (nil when missing).
    public let key: String?
    /// The scope written, or the filter used; `*` when neither was given.
    public let environmentScope: String
    public let method: String
    public let status: Int
    public let at: Date

    /// Whether GitLab stored the value (200 updated, 201 created).
    public var isAccepted: Bool { status == 200 || status == 201 }
}
