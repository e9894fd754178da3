/// An organization the GitHub emulator knows: its own Actions secret scope (key pair and secrets)
/// and, per secret, who may read it.
struct GitHubOrganization: Sendable {
    /// The login as it was added.
    let name: String
    var scope: GitHubSecretScope
    /// Keyed by the uppercase secret name: `all`, `private` or `selected`.
    var visibility: [String: String] = [:]
    /// Keyed by the uppercase secret name: the repositories of a `selected` secret.
    var selectedRepositoryIDs: [String: [Int]] = [:]
}
