/// One target of a generated rotation. Every rotation gets its own secret name or key, so that
/// rotations share hosts, repositories, a GitLab project and one Kubernetes Secret without two
/// of them writing the same place (which the plan checks refuse).
enum ModelTarget: Sendable, Hashable, CustomStringConvertible {
    case githubRepository(repository: String, secret: String)
    case githubEnvironment(repository: String, environment: String, secret: String)
    case gitlabProject(project: String, variable: String)
    case kubernetes(namespace: String, secret: String, key: String)
    case file(name: String)
    /// A variable of the one shared Azure DevOps group `acme/platform/shared`.
    case azureDevOps(variable: String)

    /// The plan's YAML flow mapping for it; `files` is the directory the file targets live in.
    func yaml(files: String) -> String {
        switch self {
        case .githubRepository(let repository, let secret):
            "github: { repo: \(repository), secret: \(secret) }"
        case .githubEnvironment(let repository, let environment, let secret):
            "github: { repo: \(repository), environment: \(environment), secret: \(secret) }"
        case .gitlabProject(let project, let variable):
            "gitlab: { project: \(project), variable: \(variable) }"
        case .kubernetes(let namespace, let secret, let key):
            "kubernetes: { namespace: \(namespace), secret: \(secret), key: \(key) }"
        case .file(let name):
            "file: { path: \(files)/\(name) }"
        case .azureDevOps(let variable):
            "azure_devops: { organization: acme, project: platform, group: shared, variable: \(variable) }"
        }
    }

    var description: String {
        switch self {
        case .githubRepository(let repository, let secret): "github:\(repository)/\(secret)"
        case .githubEnvironment(let repository, let environment, let secret): "github:\(repository)@\(environment)/\(secret)"
        case .gitlabProject(let project, let variable): "gitlab:\(project)/\(variable)"
        case .kubernetes(let namespace, let secret, let key): "kubernetes:\(namespace)/\(secret)#\(key)"
        case .file(let name): "file:\(name)"
        case .azureDevOps(let variable): "azure_devops:shared#\(variable)"
        }
    }
}
