/// A CI/CD variable the GitLab emulator holds, value in clear so tests can check what was written.
public struct GitLabStoredVariable: Sendable, Equatable {
    public var key: String
    public var value: String
    public var environmentScope: String
    public var masked: Bool
    public var protected: Bool
    public var raw: Bool
    /// Set only by `masked_and_hidden: true` at creation; the value then reads back as `null`.
    public var hidden: Bool
    public var description: String?
    public var variableType: String
}
