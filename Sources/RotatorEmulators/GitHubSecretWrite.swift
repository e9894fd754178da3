import Foundation

/// One secret `PUT` the GitHub emulator received, accepted or rejected, with the status it got.
public struct GitHubSecretWrite: Sendable {
    /// `owner/repo` as it appeared in the path.
    public let repository: String
    /// The environment name, percent-decoded, or nil for a repository secret.
    public let environment: String?
    /// The secret name as it appeared in the path (not uppercased: a rejected name is kept as sent).
    public let name: String
    /// The status answered: 201 created, 204 updated, or an error.
    public let status: Int
    public let at: Date

    /// A readable description of where the write went: `owner/repo` or `owner/repo environment production`.
    public var scope: String {
        environment.map { "\(repository) environment \($0)" } ?? repository
    }

    /// Whether GitHub stored the value (201 or 204).
    public var isAccepted: Bool {
        status == 201 || status == 204
    }
}
