import Foundation

/// A validated rotation plan: every default filled in, every reference checked. Built only by
/// `PlanLoader`, so the rest of the program never sees a half-valid plan.
public struct Plan: Sendable {
    public static let supportedVersion = 1

    public var path: String
    public var version: Int
    /// `state_dir` from the plan; the command line and systemd's `$STATE_DIRECTORY` come first or after (see `StatePaths`).
    public var stateDirectory: String?
    /// Rotations in flight at once.
    public var concurrency: Int
    /// Deadline of every HTTP request (`http_timeout_seconds`, default 30).
    public var httpTimeout: Duration
    public var envshed: EnvshedSettings
    public var github: GitHubSettings?
    public var gitlab: GitLabSettings?
    public var kubernetes: KubernetesSettings?
    public var rotations: [Rotation]
    /// Policy warnings (org scope, read_write, long expiry): shown by `validate` and `plan`, errors with `--strict`.
    public var warnings: [PlanDiagnostic]
    /// `notify:`: where failures, emergencies and expiring tokens are announced.
    public var notifications: [NotificationChannel] = []
    /// `metrics_file:`; nil for `envshed_rotator.prom` in the state directory.
    public var metricsFile: String? = nil
    /// `defaults.warn_before_days`: the window of the hygiene report for tokens no rotation manages.
    public var defaultWarnBeforeDays: Int = 3
    /// `providers.azure_devops`.
    public var azureDevOps: AzureDevOpsSettings? = nil

    public func rotation(id: String) -> Rotation? {
        rotations.first { $0.id == id }
    }
}

public struct EnvshedSettings: Sendable {
    public static let defaultAPIURL = "https://app.envshed.com"

    /// nil when the plan does not set `api_url`: `$ENVSHED_API_URL`, then the default, apply.
    public var apiURL: URL?
    public var org: String
    public var token: CredentialReference
    /// Requests in flight to Envshed at once (`envshed.max_concurrent`, default 8).
    public var maxConcurrent: Int?
    /// A PEM bundle of the CAs that may sign this provider's certificate, trusted for its host
    /// instead of the system store (`ca_file:`, an absolute path). nil: the system store.
    public var caFile: String? = nil

    /// The plan's `api_url`, else `$ENVSHED_API_URL` (https, or http to loopback only, like the
    /// plan's), else the default. Nil when the variable is not a usable URL.
    public func resolvedAPIURL(environment: [String: String]) -> URL? {
        if let apiURL { return apiURL }
        if let fromEnvironment = environment["ENVSHED_API_URL"], !fromEnvironment.isEmpty {
            guard let url = URL(string: fromEnvironment), url.host != nil,
                  url.scheme == "https" || (url.scheme == "http" && LoopbackHost.contains(url))
            else { return nil }
            return url
        }
        return URL(string: Self.defaultAPIURL)
    }
}

public struct GitHubSettings: Sendable {
    public static let defaultAPIURL = "https://api.github.com"

    /// How the bot authenticates to GitHub: exactly one of `token` and `app`.
    public enum Authentication: Sendable, Hashable {
        /// A personal access token (classic or fine-grained): `providers.github.token`.
        case token(CredentialReference)
        /// A GitHub App installation: `providers.github.app`.
        case app(GitHubAppSettings)

        /// How errors name the credential: `providers.github.token` or `providers.github.app`.
        public var credentialName: String {
            switch self {
            case .token: "providers.github.token"
            case .app(let app): "providers.github.app (app \(app.appID), installation \(app.installationID))"
            }
        }
    }

    /// `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise Server.
    public var apiURL: URL
    public var authentication: Authentication
    public var maxConcurrent: Int?
    public var writesPerMinute: Int?
    /// A PEM bundle of the CAs that may sign this provider's certificate, trusted for its host
    /// instead of the system store (`ca_file:`, an absolute path). nil: the system store.
    public var caFile: String? = nil
}

/// `providers.github.app: { id: 12345, installation_id: 678, private_key: file:/etc/envshed-rotator/app.pem }`.
public struct GitHubAppSettings: Sendable, Hashable {
    /// The App's id, the JWT's `iss`.
    public var appID: Int
    /// The installation on the organization or account that owns the target secrets.
    public var installationID: Int
    /// Where the App's PEM private key is (a credential reference: never inline).
    public var privateKey: CredentialReference

    public init(appID: Int, installationID: Int, privateKey: CredentialReference) {
        self.appID = appID
        self.installationID = installationID
        self.privateKey = privateKey
    }
}

/// `providers.gitlab`: GitLab.com or a self-managed instance.
public struct GitLabSettings: Sendable {
    public static let defaultAPIURL = "https://gitlab.com/api/v4"

    /// How the token is sent: `PRIVATE-TOKEN` (personal, project and group access tokens) or
    /// `Authorization: Bearer` (OAuth access tokens).
    public enum Authentication: String, Sendable, CaseIterable {
        case privateToken = "private_token"
        case bearer
    }

    /// `https://gitlab.com/api/v4`, or `https://HOST/api/v4`.
    public var apiURL: URL
    public var token: CredentialReference
    public var authentication: Authentication
    public var maxConcurrent: Int?
    public var writesPerMinute: Int?
    /// A PEM bundle of the CAs that may sign this provider's certificate, trusted for its host
    /// instead of the system store (`ca_file:`, an absolute path). nil: the system store.
    public var caFile: String? = nil
}

/// `providers.kubernetes`: every key optional; in-cluster defaults fill what is left out.
public struct KubernetesSettings: Sendable {
    /// The API server. nil: `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`.
    public var apiURL: URL?
    /// The bearer token. nil: the pod's service-account token, if there is one.
    public var token: CredentialReference?
    /// The CA that signed the API server's certificate. nil: the pod's service-account CA, if
    /// there is one. See `KubernetesEndpoint` for how it is used.
    public var caFile: String?
    public var maxConcurrent: Int?
    public var writesPerMinute: Int?
}
