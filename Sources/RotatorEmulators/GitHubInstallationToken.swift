import Foundation

/// An installation access token the GitHub emulator issued (`ghs_…`), accepted until it expires.
public struct GitHubInstallationToken: Sendable {
    public let value: String
    public let appID: Int
    public let installationID: Int
    public let expiresAt: Date
}
