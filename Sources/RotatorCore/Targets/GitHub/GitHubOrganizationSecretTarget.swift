import Foundation
import Logging

/// A GitHub Actions organization secret. Sealed with the organization's own public key and
/// written with the visibility the plan declares (GitHub requires it on every `PUT`; sending the
/// plan's value means a write never widens or narrows who may read the token by accident). For
/// `selected`, the plan's repository names are resolved to ids and sent as
/// `selected_repository_ids`. Verified by reading the metadata back: `updated_at` moved, the
/// visibility and the selected repositories are the plan's.
struct GitHubOrganizationSecretTarget: SecretTarget {
    let target: Target
    let client: GitHubClient
    let secret: GitHubOrganizationSecret

    init(target: Target, secret: GitHubOrganizationSecret, client: GitHubClient) {
        self.target = target
        self.secret = secret
        self.client = client
    }

    /// `/orgs/ORG/actions/secrets`.
    private var scopePath: String { "/orgs/\(URLJoin.segment(secret.org))/actions/secrets" }
    private var secretPath: String { "\(scopePath)/\(URLJoin.segment(secret.secret))" }

    private var writer: GitHubSecretWriter {
        GitHubSecretWriter(
            client: client, target: target, scopePath: scopePath, secretPath: secretPath,
            putOperation: "PUT organization secret", keyOperation: "fetch organization public key"
        )
    }

    func prepare(logger: Logger) async {
        await writer.prefetchKey(logger: logger)
    }

    func push(_ value: Secret, logger: Logger) async throws(TargetError) -> PushReceipt {
        var fields: [String: Any] = ["visibility": secret.visibility.rawValue]
        if secret.visibility == .selected {
            fields["selected_repository_ids"] = try await resolveRepositories(logger: logger)
        }
        return try await writer.push(value, extraFields: fields, logger: logger)
    }

    func verify(_ receipt: PushReceipt, logger: Logger) async throws(TargetError) -> TargetObservation {
        let operation = "read back organization secret"
        let response = try await client.send("GET", secretPath, target: target, operation: operation, logger: logger)
        guard response.status == 200 else { throw client.failure(response, target: target, operation: operation) }
        guard let object = response.jsonObject(), let text = object["updated_at"] as? String, let updatedAt = Timestamp.parse(text) else {
            throw failure(operation, status: 200, "the answer has no readable updated_at")
        }
        let earliest = receipt.startedAt.addingTimeInterval(-1 - GitHubSecretTarget.clockSkewTolerance)
        guard updatedAt >= earliest else {
            throw failure(operation, status: 200, "updated_at is \(text), older than our write at \(Timestamp.format(receipt.startedAt)): the write did not land")
        }
        let visibility = object["visibility"] as? String
        guard visibility == secret.visibility.rawValue else {
            throw failure(operation, status: 200, "visibility is \(visibility.map(HTTPResponse.quote) ?? "missing"), not the plan's \(secret.visibility.rawValue)")
        }
        if secret.visibility == .selected {
            let listOperation = "read back selected repositories"
            let repositories = try await client.listAll("\(secretPath)/repositories", itemsKey: "repositories", target: target, operation: listOperation, logger: logger)
            let names = repositories.compactMap { ($0["full_name"] as? String)?.lowercased() }
            let expected = Set(secret.repositories.map { $0.lowercased() })
            guard names.count == expected.count, Set(names) == expected else {
                throw failure(listOperation, status: 200, "the secret is shared with [\(names.sorted().joined(separator: ", "))], not the plan's [\(expected.sorted().joined(separator: ", "))]")
            }
        }
        return TargetObservation(updatedAt: updatedAt)
    }

    /// `GET /repos/{owner}/{repo}` → `id`, for each repository of `repos:`.
    private func resolveRepositories(logger: Logger) async throws(TargetError) -> [Int] {
        var ids: [Int] = []
        for repository in secret.repositories {
            let operation = "resolve repository \(repository)"
            let path = "/repos/\(GitHubSecretTarget.repositoryPath(repository))"
            let response = try await client.send("GET", path, target: target, operation: operation, logger: logger)
            guard response.status == 200 else { throw client.failure(response, target: target, operation: operation) }
            guard let id = response.jsonObject()?["id"] as? Int else {
                throw failure(operation, status: 200, "the answer has no numeric id")
            }
            ids.append(id)
        }
        return ids
    }

    private func failure(_ operation: String, status: Int? = nil, _ message: String) -> TargetError {
        TargetError(provider: .github, target: target.label, operation: operation, status: status, message: message)
    }
}
