/// One place GitHub keeps Actions secrets (a repository, or one environment of it), with its own
/// key pair: a value sealed for another scope's key does not open here, as on GitHub.
struct GitHubSecretScope: Sendable {
    var keyPair: SealedBoxOpener
    /// A numeric string such as `3380204578043523366`, distinct for every key pair the emulator made.
    var keyID: String
    /// Keyed by the uppercase name: GitHub's secret names are case-insensitive.
    var secrets: [String: GitHubStoredSecret] = [:]
}
