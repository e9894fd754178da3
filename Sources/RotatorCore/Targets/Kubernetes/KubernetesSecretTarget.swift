import Foundation
import Logging

/// One key of a Kubernetes Secret, written with server-side apply under the target's own field
/// manager (`KubernetesFieldManager`), which owns only `data.<key>`: other keys, whoever wrote
/// them, stay as they are, and a missing Secret is created. Values go in `data` (base64), never
/// `stringData` (which apply does not prune). With `restart:`, the Deployment's pod template gets
/// `kubectl.kubernetes.io/restartedAt`, as `kubectl rollout restart` does, so pods that read the
/// token from an environment variable restart with it. Verified by reading `data.<key>` back.
/// A 409 is retried, at most three attempts in all.
struct KubernetesSecretTarget: SecretTarget {
    static let maxAttempts = 3
    static let restartAnnotation = "kubectl.kubernetes.io/restartedAt"

    let target: Target
    let secret: KubernetesSecretKey
    let client: KubernetesClient
    let now: @Sendable () -> Date

    init(target: Target, secret: KubernetesSecretKey, client: KubernetesClient, now: @escaping @Sendable () -> Date) {
        self.target = target
        self.secret = secret
        self.client = client
        self.now = now
    }

    private var secretPath: String {
        "/api/v1/namespaces/\(URLJoin.segment(secret.namespace))/secrets/\(URLJoin.segment(secret.secret))"
    }

    func push(_ value: Secret, logger: Logger) async throws(TargetError) -> PushReceipt {
        let startedAt = Date()
        let digest = value.withRevealed { SHA256Digest.hex(of: Array($0.utf8)) }
        var object: [String: Any] = [
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": ["name": secret.secret, "namespace": secret.namespace],
        ]
        value.withRevealed { object["data"] = [secret.key: Data($0.utf8).base64EncodedString()] }
        // A JSON document is valid YAML; the apply content type is what makes it server-side apply.
        let body = Data(JSONLine.encode(object).utf8)
        // `force=true` takes `data.<key>` from whichever manager owns it, and only that field: the
        // plan says this target owns the key. That is what migration needs: releases before the
        // per-key managers applied every key under the one manager `envshed-rotator`, and a Secret
        // made with `kubectl create secret` is owned by `kubectl-create`; without force, the first
        // apply would fail with a 409 until someone edited managedFields by hand. Forcing cannot
        // delete anything: pruning only removes fields the applying manager owned and now leaves
        // out, and this manager only ever applies its one key; the managers it takes the key from
        // keep every other field they own.
        let manager = KubernetesFieldManager.name(forKey: secret.key)
        let path = "\(secretPath)?fieldManager=\(URLJoin.segment(manager))&force=true"
        let response = try await withConflictRetry(operation: "apply secret", logger: logger) { () async throws(TargetError) in
            try await client.send("PATCH", path, body: body, contentType: "application/apply-patch+yaml", target: target, operation: "apply secret", logger: logger)
        }
        guard response.isSuccess else {
            throw client.failure(response, target: target, namespace: secret.namespace, resource: "secrets", operation: "apply secret")
        }
        if let deployment = secret.restartDeployment {
            do {
                try await restart(deployment, logger: logger)
            } catch {
                // The Secret already holds the new token.
                var problem = error
                problem.mayHaveWritten = true
                throw problem
            }
        }
        return PushReceipt(startedAt: startedAt, created: response.status == 201, valueDigest: digest)
    }

    func verify(_ receipt: PushReceipt, logger: Logger) async throws(TargetError) -> TargetObservation {
        let operation = "read back secret"
        let response = try await client.send("GET", secretPath, target: target, operation: operation, logger: logger)
        guard response.status == 200 else {
            throw client.failure(response, target: target, namespace: secret.namespace, resource: "secrets", operation: operation)
        }
        guard let data = response.jsonObject()?["data"] as? [String: Any], let encoded = data[secret.key] as? String else {
            throw failure(operation, "the Secret has no data.\(secret.key)")
        }
        guard let decoded = Data(base64Encoded: encoded) else {
            throw failure(operation, "data.\(secret.key) is not base64")
        }
        guard SHA256Digest.hex(of: Array(decoded)) == receipt.valueDigest else {
            throw failure(operation, "data.\(secret.key) does not hold the token just written (another writer?)")
        }
        return TargetObservation(updatedAt: nil)
    }

    /// What `kubectl rollout restart deployment/NAME` sends: a strategic merge patch of the pod
    /// template's `restartedAt` annotation, which makes the Deployment roll its pods. A merge
    /// patch is an update, not an apply: it never prunes, so every target shares one manager here.
    /// The timestamp is fixed before the first attempt, so a retried patch writes the same value.
    private func restart(_ deployment: String, logger: Logger) async throws(TargetError) {
        let operation = "restart deployment/\(deployment)"
        let patch: [String: Any] = [
            "spec": ["template": ["metadata": ["annotations": [Self.restartAnnotation: Self.rfc3339(now())]]]],
        ]
        let body = Data(JSONLine.encode(patch).utf8)
        let path = "/apis/apps/v1/namespaces/\(URLJoin.segment(secret.namespace))/deployments/\(URLJoin.segment(deployment))?fieldManager=\(KubernetesClient.fieldManager)"
        let response = try await withConflictRetry(operation: operation, logger: logger) { () async throws(TargetError) in
            try await client.send("PATCH", path, body: body, contentType: "application/strategic-merge-patch+json", target: target, operation: operation, logger: logger)
        }
        guard response.isSuccess else {
            throw client.failure(response, target: target, namespace: secret.namespace, resource: "deployments", operation: operation)
        }
        logger.debug("deployment restarted", metadata: [LogKeys.target: "\(target.label)", "kubernetes.deployment": "\(deployment)"])
    }

    /// Sends again after a 409 Conflict (a concurrent writer bumped the resourceVersion), up to
    /// `maxAttempts` in all; returns the last answer whatever it is.
    private func withConflictRetry(
        operation: String, logger: Logger, _ send: () async throws(TargetError) -> HTTPResponse
    ) async throws(TargetError) -> HTTPResponse {
        var attempt = 1
        while true {
            let response = try await send()
            guard response.status == 409, attempt < Self.maxAttempts else { return response }
            logger.debug("conflict, retrying", metadata: [LogKeys.target: "\(target.label)", "attempt": "\(attempt)", "operation": "\(operation)"])
            try? await Task.sleep(for: .milliseconds(100 * attempt))
            attempt += 1
        }
    }

    private func failure(_ operation: String, _ message: String) -> TargetError {
        TargetError(provider: .kubernetes, target: target.label, operation: operation, status: 200, message: message)
    }

    /// RFC 3339 in UTC, whole seconds, as kubectl writes it (`2026-01-01T00:00:00Z`).
    static func rfc3339(_ date: Date) -> String {
        Timestamp.format(date)
    }
}
