import Logging

/// What authenticates the GitHub requests: a token from the plan's credential reference, or a
/// GitHub App whose installation token is minted for the run and refreshed before it expires.
enum GitHubCredential: Sendable {
    case token(Secret)
    case app(GitHubAppSettings, InstallationTokenCache)

    /// How errors name it: `providers.github.token`, `providers.github.app (app 1, installation 2)`.
    var name: String {
        switch self {
        case .token: "providers.github.token"
        case .app(let settings, _): GitHubSettings.Authentication.app(settings).credentialName
        }
    }

    var isApp: Bool {
        if case .app = self { return true }
        return false
    }
}
