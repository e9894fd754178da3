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
        }
        self.target = target
        self.client = client
    }

    func push(_ value: Secret, logger: Logger) async throws(TargetError) -> PushReceipt {
        let startedAt = Date()
        var key = try await publicKey(logger: logger)
        var response = try await put(value, key: key, logger: logger)
        if response.status == 422, Self.isStaleKey(response) {
            // The scope's key was rotated since we fetched it: fetch it again, once.
            await client.publicKeys.invalidate(scopePath)
            key = try await publicKey(logger: logger)
            response = try await put(value, key: key, logger: logger)
        }
        switch response.status {
        case 201: return PushReceipt(startedAt: startedAt, created: true)
        case 204, 200: return PushReceipt(startedAt: startedAt, created: false)
        default:
            var error = client.failure(response, target: target, operation: "PUT secret")
            error.mayHaveWritten = response.status >= 500
            throw error
        }
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

    private func put(_ value: Secret, key: GitHubPublicKey, logger: Logger) async throws(TargetError) -> HTTPResponse {
        let sealed: [UInt8]
        do {
            sealed = try value.withRevealed { plain throws(SodiumError) in try SealedBox.seal(Array(plain.utf8), publicKey: key.key) }
        } catch {
            throw TargetError(provider: .github, target: target.label, operation: "seal secret", message: "\(error)")
        }
        let body: [String: Any] = ["encrypted_value": Data(sealed).base64EncodedString(), "key_id": key.keyID]
        do {
            return try await client.send("PUT", "\(scopePath)/\(URLJoin.segment(secretName))", json: body, target: target, operation: "PUT secret", logger: logger)
        } catch {
            // No answer: the request may have reached GitHub and been applied (unless it never
            // left, because no installation token could be had).
            var uncertain = error
            uncertain.mayHaveWritten = error.operation == "PUT secret"
            throw uncertain
        }
    }

    private func publicKey(logger: Logger) async throws(TargetError) -> GitHubPublicKey {
        let client = client
        let target = target
        let path = "\(scopePath)/public-key"
        do {
            return try await client.publicKeys.key(for: scopePath) {
                let operation = "fetch public key"
                let response = try await client.send("GET", path, target: target, operation: operation, logger: logger)
                guard response.status == 200 else { throw client.failure(response, target: target, operation: operation) }
                guard let object = response.jsonObject(),
                      let keyID = (object["key_id"] as? String) ?? (object["key_id"] as? Int).map(String.init),
                      let encoded = object["key"] as? String,
                      let key = Data(base64Encoded: encoded)
                else {
                    throw TargetError(provider: .github, target: target.label, operation: operation, status: 200, message: "the answer has no key_id and base64 key")
                }
                return GitHubPublicKey(keyID: keyID, key: Array(key))
            }
        } catch let error as TargetError {
            throw error
        } catch {
            throw TargetError(provider: .github, target: target.label, operation: "fetch public key", message: "\(error)")
        }
    }

    /// GitHub's answer to a value sealed with a key that is not the scope's current one.
    private static func isStaleKey(_ response: HTTPResponse) -> Bool {
        let message = (response.jsonObject()?["message"] as? String ?? "").lowercased()
        return message.contains("improperly encrypted") || message.contains("key_id")
    }

    static func repositoryPath(_ repository: String) -> String {
        repository.split(separator: "/").map { URLJoin.segment(String($0)) }.joined(separator: "/")
    }
}
