/// Builds the writer for each target of the plan. An exhaustive switch: a new provider is one new
/// folder, one `ProviderKind` case and one line here.
public struct TargetFactory: Sendable {
    private let github: GitHubClient?

    public init(github: GitHubClient?) {
        self.github = github
    }

    public func make(_ target: Target) throws(TargetError) -> any SecretTarget {
        switch target.kind {
        case .githubRepository, .githubEnvironment:
            guard let github else {
                throw TargetError(provider: .github, target: target.label, operation: "configure", message: "the plan has no providers.github entry")
            }
            return GitHubSecretTarget(target: target, client: github)
        }
    }
}
