/// A repository the GitHub emulator knows, with its Actions secret scopes.
struct GitHubRepository: Sendable {
    /// `owner/repo` as it was added.
    let fullName: String
    let id: Int
    var repositoryScope: GitHubSecretScope
    /// Keyed by the lowercased environment name: GitHub's environment names are case-insensitive.
    var environments: [String: GitHubSecretScope]
}
