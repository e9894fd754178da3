import Foundation
import Logging

/// Seals a value with a GitHub secret scope's public key and writes it with `PUT`, fetching the
/// key again, once, when GitHub answers that the value was sealed with a key it no longer uses.
/// Shared by repository, environment and organization secrets, which differ in their paths and in
/// the fields an organization secret adds (`visibility`, `selected_repository_ids`).
struct GitHubSecretWriter {
    let client: GitHubClient
    let target: Target
    /// `/repos/OWNER/REPO/actions/secrets`, `/repos/OWNER/REPO/environments/ENV/secrets` or
    /// `/orgs/ORG/actions/secrets`: the key is the scope's.
    let scopePath: String
    let secretPath: String
    /// How errors name the steps: `PUT secret` / `PUT organization secret`, and the key fetch.
    let putOperation: String
    let keyOperation: String

    func push(_ value: Secret, extraFields: [String: Any] = [:], logger: Logger) async throws(TargetError) -> PushReceipt {
        let startedAt = Date()
        var key = try await publicKey(logger: logger)
        var response = try await put(value, key: key, extraFields: extraFields, logger: logger)
        // An attempt before the stale-key answer may have landed (RetryingTransport says so).
        let uncertain = response.followsUncertainAttempt
        if response.status == 422, Self.isStaleKey(response) {
            // The scope's key was rotated since we fetched it: fetch it again, once.
            await client.publicKeys.invalidate(scopePath)
            do throws(TargetError) {
                key = try await publicKey(logger: logger)
                response = try await put(value, key: key, extraFields: extraFields, logger: logger)
            } catch {
                var failure = error
                failure.mayHaveWritten = failure.mayHaveWritten || uncertain
                throw failure
            }
        }
        switch response.status {
        case 201: return PushReceipt(startedAt: startedAt, created: true)
        case 204, 200: return PushReceipt(startedAt: startedAt, created: false)
        default:
            var error = client.failure(response, target: target, operation: putOperation)
            error.mayHaveWritten = response.status >= 500 || response.followsUncertainAttempt || uncertain
            throw error
        }
    }

    private func put(_ value: Secret, key: GitHubPublicKey, extraFields: [String: Any], logger: Logger) async throws(TargetError) -> HTTPResponse {
        let sealed: [UInt8]
        do {
            sealed = try value.withRevealed { plain throws(SodiumError) in try SealedBox.seal(Array(plain.utf8), publicKey: key.key) }
        } catch {
            throw TargetError(provider: .github, target: target.label, operation: "seal secret", message: "\(error)")
        }
        var body = extraFields
        body["encrypted_value"] = Data(sealed).base64EncodedString()
        body["key_id"] = key.keyID
        do {
            return try await client.send("PUT", secretPath, json: body, target: target, operation: putOperation, logger: logger)
        } catch {
            // No answer: the request may have reached GitHub and been applied (unless it never
            // left, because no installation token could be had).
            var uncertain = error
            uncertain.mayHaveWritten = uncertain.mayHaveWritten || error.operation == putOperation
            throw uncertain
        }
    }

    /// Fetches the scope's key ahead of `push` (`SecretTarget.prepare`).
    func prefetchKey(logger: Logger) async {
        _ = try? await publicKey(logger: logger)
    }

    /// The scope's key, fetched once per run (`PublicKeyCache`).
    private func publicKey(logger: Logger) async throws(TargetError) -> GitHubPublicKey {
        let client = client
        let target = target
        let operation = keyOperation
        let path = "\(scopePath)/public-key"
        do {
            return try await client.publicKeys.key(for: scopePath) {
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
            throw TargetError(provider: .github, target: target.label, operation: operation, message: "\(error)")
        }
    }

    /// GitHub's answer to a value sealed with a key that is not the scope's current one.
    private static func isStaleKey(_ response: HTTPResponse) -> Bool {
        let message = (response.jsonObject()?["message"] as? String ?? "").lowercased()
        return message.contains("improperly encrypted") || message.contains("key_id")
    }
}
