/// What to create: the same scope and permission as the token it replaces, a fresh expiry, a
/// descriptive name and a description that marks the token as managed by this tool.
public struct NewServiceToken: Sendable, Hashable {
    public var name: String
    public var description: String
    public var scope: TokenScope
    public var projectID: String?
    public var environmentID: String?
    public var permission: TokenPermission
    public var expiresInDays: Int
}
