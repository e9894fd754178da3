/// One place a rotation writes its token to, with where the plan declared it.
public struct Target: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A GitHub Actions repository secret.
        case githubRepository(repository: String, secret: String)
        /// A GitHub Actions environment secret.
        case githubEnvironment(repository: String, environment: String, secret: String)
    }

    public var kind: Kind
    public var location: SourceLocation

    public var provider: ProviderKind {
        switch kind {
        case .githubRepository, .githubEnvironment: .github
        }
    }

    /// How logs, errors and `status` name the target: `github:acme/api/ENVSHED_TOKEN`,
    /// `github:acme/api@production/ENVSHED_TOKEN`.
    public var label: String {
        switch kind {
        case .githubRepository(let repository, let secret):
            "github:\(repository)/\(secret)"
        case .githubEnvironment(let repository, let environment, let secret):
            "github:\(repository)@\(environment)/\(secret)"
        }
    }

    /// Identity of the secret written, normalised the way the provider compares names: two targets
    /// with the same key write the same secret. GitHub names and repositories are case-insensitive.
    public var identity: String {
        switch kind {
        case .githubRepository(let repository, let secret):
            "github|\(repository.lowercased())|\(secret.uppercased())"
        case .githubEnvironment(let repository, let environment, let secret):
            "github|\(repository.lowercased())|env:\(environment)|\(secret.uppercased())"
        }
    }
}
