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
    public var rotations: [Rotation]
    /// Policy warnings (org scope, read_write, long expiry): shown by `validate` and `plan`, errors with `--strict`.
    public var warnings: [PlanDiagnostic]

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

    /// The plan's `api_url`, else `$ENVSHED_API_URL` (https, or http to loopback only, like the
    /// plan's), else the default. Nil when the variable is not a usable URL.
    public func resolvedAPIURL(environment: [String: String]) -> URL? {
        if let apiURL { return apiURL }
        if let fromEnvironment = environment["ENVSHED_API_URL"], !fromEnvironment.isEmpty {
            guard let url = URL(string: fromEnvironment), let host = url.host,
                  url.scheme == "https" || (url.scheme == "http" && PlanParser.isLoopback(host))
            else { return nil }
            return url
        }
        return URL(string: Self.defaultAPIURL)
    }
}

public struct GitHubSettings: Sendable {
    public static let defaultAPIURL = "https://api.github.com"

    /// `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise Server.
    public var apiURL: URL
    public var token: CredentialReference
    public var maxConcurrent: Int?
    public var writesPerMinute: Int?
}
