import Foundation

extension Target {
    /// Which secret the target writes, in the spelling the provider resolves it to: two targets
    /// with one key overwrite each other, however the plan spells them. GitHub compares
    /// repository, environment and secret names case-insensitively; GitLab paths are
    /// case-insensitive (a numeric id can only be matched with a path online, see
    /// `GitLabTargetCollisions`), variable keys and scopes are not; Kubernetes names are
    /// case-sensitive; a file is named by its directory as the kernel resolves it (symlinks,
    /// `.` and `..`), since the write replaces the last component itself.
    ///
    /// Unlike `identity`, which keys the state's records and must stay stable, this may read the
    /// file system and change as providers are better understood.
    var writeKey: String {
        switch kind {
        case .githubEnvironment(let repository, let environment, let secret):
            // "Environment names are not case sensitive": https://docs.github.com/en/actions/managing-workflow-runs-and-deployments/managing-deployments/managing-environments-for-deployment
            "github|\(repository.lowercased())|env:\(environment.lowercased())|\(secret.uppercased())"
        case .file(let file):
            "file|\(Self.resolvedFilePath(file.path))"
        case .githubRepository, .githubOrganization, .gitlabVariable, .kubernetesSecret:
            identity
        case .azureDevOpsVariable:
            // Organization, project, group and variable names are all case-insensitive.
            identity
        }
    }

    /// The path with its deepest existing directory resolved by `realpath`; the rest, which does
    /// not exist yet, is appended as written (after removing `.`, `..` and doubled slashes).
    static func resolvedFilePath(_ path: String) -> String {
        var directory = path
        var rest: [String] = []
        while let slash = directory.lastIndex(of: "/") {
            rest.append(String(directory[directory.index(after: slash)...]))
            directory = slash == directory.startIndex ? "/" : String(directory[..<slash])
            if let resolved = realpath(directory, nil) {
                defer { free(resolved) }
                let base = String(cString: resolved)
                let tail = rest.reversed().filter { !$0.isEmpty }.joined(separator: "/")
                return URL(fileURLWithPath: (base == "/" ? "" : base) + "/" + tail).standardizedFileURL.path
            }
            if directory == "/" { break }
        }
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
