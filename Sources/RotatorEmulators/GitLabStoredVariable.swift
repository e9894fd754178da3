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

    public init(
        key: String, value: String, environmentScope: String = "*", masked: Bool = false, protected: Bool = false, raw: Bool = false,
        hidden: Bool = false, description: String? = nil, variableType: String = "env_var"
    ) {
        self.key = key
        self.value = value
        self.environmentScope = environmentScope
        self.masked = masked
        self.protected = protected
        self.raw = raw
        self.hidden = hidden
        self.description = description
        self.variableType = variableType
    }
}
