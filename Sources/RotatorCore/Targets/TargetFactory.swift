import Foundation

/// Builds the writer for each target of the plan. An exhaustive switch: a new provider is one new
/// folder, one `ProviderKind` case and one line here.
public struct TargetFactory: Sendable {
    let github: GitHubClient?
    let gitlab: GitLabClient?
    let kubernetes: KubernetesClient?
    let azureDevOps: AzureDevOpsClient?
    private let commands: CommandRunner
    private let now: @Sendable () -> Date
    private let sleep: @Sendable (Duration) async throws -> Void

    /// - Parameters:
    ///   - github, gitlab, kubernetes: a client for each provider the selected rotations write to.
    ///   - commandSearchPath: where file targets' `then:` programs are looked up (`$PATH`).
    ///   - now: the clock of time-stamped writes (the Deployment restart annotation).
    ///   - sleep: the wait between reads of a rolling Deployment.
    public init(
        github: GitHubClient?, gitlab: GitLabClient? = nil, kubernetes: KubernetesClient? = nil,
        azureDevOps: AzureDevOpsClient? = nil,
        commandSearchPath: String? = nil, now: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.sleep = sleep
        self.github = github
        self.gitlab = gitlab
        self.kubernetes = kubernetes
        self.azureDevOps = azureDevOps
        self.commands = commandSearchPath.map { CommandRunner(searchPath: $0) } ?? CommandRunner()
        self.now = now
    }

    public func make(_ target: Target) throws(TargetError) -> any SecretTarget {
        switch target.kind {
        case .githubRepository, .githubEnvironment:
            guard let github, let writer = GitHubSecretTarget(target: target, client: github) else { throw missing(target) }
            return writer
        case .githubOrganization(let secret):
            guard let github else { throw missing(target) }
            return GitHubOrganizationSecretTarget(target: target, secret: secret, client: github)
        case .gitlabVariable(let variable):
            guard let gitlab else { throw missing(target) }
            return GitLabVariableTarget(target: target, variable: variable, client: gitlab)
        case .kubernetesSecret(let secret):
            guard let kubernetes else { throw missing(target) }
            return KubernetesSecretTarget(target: target, secret: secret, client: kubernetes, now: now, sleep: sleep)
        case .file(let destination):
            return FileSecretTarget(target: target, destination: destination, runner: commands)
        case .azureDevOpsVariable(let variable):
            guard let azureDevOps else { throw missing(target) }
            return AzureDevOpsVariableTarget(target: target, variable: variable, client: azureDevOps)
        }
    }

    private func missing(_ target: Target) -> TargetError {
        TargetError(
            provider: target.provider, target: target.label, operation: "configure",
            message: "the plan has no providers.\(target.provider.rawValue) entry"
        )
    }
}
