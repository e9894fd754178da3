/// A GitHub Actions organization secret as the plan declares it:
/// `github: { org: acme, secret: ENVSHED_TOKEN, visibility: selected, repos: [acme/api, acme/web] }`.
public struct GitHubOrganizationSecret: Sendable, Hashable {
    /// Which repositories of the organization may read the secret. GitHub requires it on every
    /// write, so the bot always sends what the plan says and never changes it silently.
    public enum Visibility: String, Sendable, Hashable, CaseIterable {
        case all
        case `private`
        case selected
    }

    public var org: String
    public var secret: String
    public var visibility: Visibility
    /// `owner/name` of each repository that may read the secret; only with `selected`.
    public var repositories: [String]

    public init(org: String, secret: String, visibility: Visibility, repositories: [String]) {
        self.org = org
        self.secret = secret
        self.visibility = visibility
        self.repositories = repositories
    }
}
