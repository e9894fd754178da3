import Foundation

/// An Envshed service token as the list and create answers describe it — never its value.
public struct ServiceToken: Sendable, Hashable {
    public var id: String
    public var name: String
    public var description: String?
    public var scope: TokenScope?
    public var permission: TokenPermission?
    public var projectID: String?
    public var environmentID: String?
    public var expiresAt: Date?
    public var createdAt: Date?

    public init(
        id: String, name: String, description: String? = nil, scope: TokenScope? = nil,
        permission: TokenPermission? = nil, projectID: String? = nil, environmentID: String? = nil,
        expiresAt: Date? = nil, createdAt: Date? = nil
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.scope = scope
        self.permission = permission
        self.projectID = projectID
        self.environmentID = environmentID
        self.expiresAt = expiresAt
        self.createdAt = createdAt
    }
}
