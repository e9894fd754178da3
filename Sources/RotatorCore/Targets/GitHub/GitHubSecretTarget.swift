import Foundation
import Logging

/// A GitHub Actions repository or environment secret. Sealed with the scope's own public key,
/// written with `PUT`, verified by reading its metadata back (GitHub never returns a value).
struct GitHubSecretTarget: SecretTarget {
    let target: Target
    let client: GitHubClient
    /// How far GitHub's clock may lag ours before a fresh `updated_at` looks stale.
    static let clockSkewTolerance: TimeInterval = 300

    /// `/repos/OWNER/REPO/actions/secrets` or `/repos/OWNER/REPO/environments/ENV/secrets`.
    private let scopePath: String
    private let secretName: String

    /// nil for a target that is not a repository or environment secret.
    init?(target: Target, client: GitHubClient) {
        switch target.kind {
        case .githubRepository(let repository, let secret):
            scopePath = "/repos/\(Self.repositoryPath(repository))/actions/secrets"
            secretName = secret
        case .githubEnvironment(let repository, let environment, let secret):
            scopePath = "/repos/\(Self.repositoryPath(repository))/environments/\(URLJoin.segment(environment))/secrets"
            secretName = secret
        case .githubOrganization, .gitlabVariable, .kubernetesSecret, .file:
            return nil
        case .azureDevOpsVariable:
            return nil
        }
        self.target = target
        self.client = client
    }

    private var writer: GitHubSecretWriter {
        GitHubSecretWriter(
            client: client, target: target, scopePath: scopePath, secretPath: "\(scopePath)/\(URLJoin.segment(secretName))",
            putOperation: "PUT secret", keyOperation: "fetch public key"
        )
    }

    func prepare(logger: Logger) async {
        await writer.prefetchKey(logger: logger)
    }

    func push(_ value: Secret, logger: Logger) async throws(TargetError) -> PushReceipt {
        try await writer.push(value, logger: logger)
    }

    func verify(_ receipt: PushReceipt, logger: Logger) async throws(TargetError) -> TargetObservation {
        let operation = "read back secret"
        let response = try await client.send("GET", "\(scopePath)/\(URLJoin.segment(secretName))", target: target, operation: operation, logger: logger)
        guard response.status == 200 else { throw client.failure(response, target: target, operation: operation) }
        guard let object = response.jsonObject(), let text = object["updated_at"] as? String, let updatedAt = Timestamp.parse(text) else {
            throw TargetError(provider: .github, target: target.label, operation: operation, status: 200, message: "the answer has no readable updated_at")
        }
        // GitHub keeps whole seconds; allow for that and for clock skew between us and GitHub.
        let earliest = receipt.startedAt.addingTimeInterval(-1 - Self.clockSkewTolerance)
        guard updatedAt >= earliest else {
            throw TargetError(
                provider: .github, target: target.label, operation: operation, status: 200,
                message: "updated_at is \(text), older than our write at \(Timestamp.format(receipt.startedAt)): the write did not land"
            )
        }
        return TargetObservation(updatedAt: updatedAt)
    }

    static func repositoryPath(_ repository: String) -> String {
        repository.split(separator: "/").map { URLJoin.segment(String($0)) }.joined(separator: "/")
    }
}
