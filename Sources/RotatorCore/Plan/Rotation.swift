import Foundation

/// One token to keep fresh: what it may read, how long it lives, and where its value goes.
public struct Rotation: Sendable, Identifiable {
    /// Stable key, `[a-z0-9][a-z0-9-]*`; the state and the token description refer to it.
    public var id: String
    public var purpose: String
    public var scope: TokenScope
    public var project: ResourceReference?
    public var environment: ResourceReference?
    public var permission: TokenPermission
    public var expiresInDays: Int
    public var rotateBeforeDays: Int
    public var warnBeforeDays: Int
    public var graceMinutes: Int
    public var nameTemplate: String
    public var adopt: Adoption?
    public var targets: [Target]
    public var verify: VerifySpec
    public var location: SourceLocation
}


/// The token in use before the bot took over: revoked after the first successful rotation.
public struct Adoption: Sendable, Hashable {
    public var tokenID: String
    /// Known expiry, when the plan gives one; otherwise the token list's expiry is used.
    public var expiresAt: Date?
    /// Where the plan gives `token_id`, for the check that no two rotations adopt one token.
    public var location: SourceLocation?

    public init(tokenID: String, expiresAt: Date?, location: SourceLocation? = nil) {
        self.tokenID = tokenID
        self.expiresAt = expiresAt
        self.location = location
    }
}

/// The test pull that proves a new token works before the old one is revoked.
public struct VerifySpec: Sendable, Hashable {
    public var project: String
    public var environment: String
    /// Keys the pulled environment must contain.
    public var expectKeys: [String]

    public init(project: String, environment: String, expectKeys: [String]) {
        self.project = project
        self.environment = environment
        self.expectKeys = expectKeys
    }
}
