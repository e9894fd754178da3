import Foundation

/// One place a rotation writes its token to, with where the plan declared it.
public struct Target: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A GitHub Actions repository secret.
        case githubRepository(repository: String, secret: String)
        /// A GitHub Actions environment secret.
        case githubEnvironment(repository: String, environment: String, secret: String)
        /// A GitHub Actions organization secret, with the visibility every write must repeat.
        case githubOrganization(GitHubOrganizationSecret)
        /// A GitLab CI/CD variable of a project or a group, in one environment scope.
        case gitlabVariable(GitLabVariable)
        /// One key of a Kubernetes Secret, optionally restarting a Deployment after the write.
        case kubernetesSecret(KubernetesSecretKey)
        /// A file on this machine, written atomically, optionally followed by a command.
        case file(FileDestination)
        /// A secret variable of an Azure DevOps variable group.
        case azureDevOpsVariable(AzureDevOpsVariable)
    }

    public var kind: Kind
    public var location: SourceLocation

    public init(kind: Kind, location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    public var provider: ProviderKind {
        switch kind {
        case .githubRepository, .githubEnvironment, .githubOrganization: .github
        case .gitlabVariable: .gitlab
        case .kubernetesSecret: .kubernetes
        case .file: .file
        case .azureDevOpsVariable: .azureDevOps
        }
    }

    /// How logs, errors and `status` name the target: `github:acme/api/ENVSHED_TOKEN`,
    /// `github:acme/api@production/ENVSHED_TOKEN`, `github:org/acme/ENVSHED_TOKEN`,
    /// `gitlab:acme/api/ENVSHED_TOKEN[production]`, `gitlab:group:acme/ENVSHED_TOKEN[*]`,
    /// `kubernetes:api/envshed#ENVSHED_TOKEN`, `file:/etc/api/envshed-token`,
    /// `azure_devops:acme/platform/deploy-tokens#ENVSHED_TOKEN`.
    public var label: String {
        switch kind {
        case .githubRepository(let repository, let secret):
            "github:\(repository)/\(secret)"
        case .githubEnvironment(let repository, let environment, let secret):
            "github:\(repository)@\(environment)/\(secret)"
        case .githubOrganization(let secret):
            "github:org/\(secret.org)/\(secret.secret)"
        case .gitlabVariable(let variable):
            switch variable.owner {
            case .project(let path): "gitlab:\(path)/\(variable.key)[\(variable.environmentScope)]"
            case .group(let path): "gitlab:group:\(path)/\(variable.key)[\(variable.environmentScope)]"
            }
        case .kubernetesSecret(let secret):
            "kubernetes:\(secret.namespace)/\(secret.secret)#\(secret.key)"
        case .file(let file):
            "file:\(file.path)"
        case .azureDevOpsVariable(let variable):
            "azure_devops:\(variable.organization)/\(variable.project)/\(variable.group)#\(variable.variable)"
        }
    }

    /// Identity of the secret written, normalised the way the provider compares names: two targets
    /// with the same key write the same secret. GitHub names and repositories are case-insensitive;
    /// GitLab paths are case-insensitive but variable keys and scopes are not; Kubernetes names are
    /// case-sensitive; file paths are compared after removing `.`, `..` and doubled slashes.
    public var identity: String {
        switch kind {
        case .githubRepository(let repository, let secret):
            "github|\(repository.lowercased())|\(secret.uppercased())"
        case .githubEnvironment(let repository, let environment, let secret):
            "github|\(repository.lowercased())|env:\(environment)|\(secret.uppercased())"
        case .githubOrganization(let secret):
            "github|org:\(secret.org.lowercased())|\(secret.secret.uppercased())"
        case .gitlabVariable(let variable):
            switch variable.owner {
            case .project(let path): "gitlab|project:\(path.lowercased())|\(variable.key)|\(variable.environmentScope)"
            case .group(let path): "gitlab|group:\(path.lowercased())|\(variable.key)|\(variable.environmentScope)"
            }
        case .kubernetesSecret(let secret):
            "kubernetes|\(secret.namespace)|\(secret.secret)|\(secret.key)"
        case .file(let file):
            "file|\(URL(fileURLWithPath: file.path).standardizedFileURL.path)"
        case .azureDevOpsVariable(let variable):
            "azure_devops|\(variable.groupKey)|\(variable.variable.lowercased())"
        }
    }
}
