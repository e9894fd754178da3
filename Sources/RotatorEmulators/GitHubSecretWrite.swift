import Foundation

/// One secret `PUT` the GitHub emulator received, accepted or rejected, with the status it got.
public struct GitHubSecretWrite: Sendable {
    /// `owner/repo` as it appeared in the path, or nil for an organization secret.
    public let repository: String?
    /// The environment name, percent-decoded, or nil for a repository or organization secret.
    public let environment: String?
    /// The organization, for an organization secret.
    public let organization: String?
    /// The secret name as it appeared in the path (not uppercased: a rejected name is kept as sent).
    public let name: String
    /// The status answered: 201 created, 204 updated, or an error.
    public let status: Int
    public let at: Date

    /// A readable description of where the write went: `owner/repo`, `owner/repo environment
    /// production` or `org acme`.
    public var scope: String {
        if let organization { return "org \(organization)" }
        let repository = repository ?? "?"
        return environment.map { "\(repository) environment \($0)" } ?? repository
    }

    /// Whether GitHub stored the value (201 or 204).
    public var isAccepted: Bool {
        status == 201 || status == 204
    }
}
