import Foundation
import Logging

/// One key of a Kubernetes Secret, written with server-side apply under the target's own field
/// manager (`KubernetesFieldManager`), which owns only `data.<key>`: other keys, whoever wrote
/// them, stay as they are, and a missing Secret is created. Values go in `data` (base64), never
/// `stringData` (which apply does not prune). With `restart:`, the Deployment's pod template gets
/// `kubectl.kubernetes.io/restartedAt`, as `kubectl rollout restart` does, so pods that read the
/// token from an environment variable restart with it. Verified by reading `data.<key>` back and,
/// with `restart:`, by waiting (up to 10 minutes) for the rollout to complete: until then, old
/// pods still use the old token, which must not be revoked.
/// A 409 is retried, at most three attempts in all.
struct KubernetesSecretTarget: SecretTarget {
    static let maxAttempts = 3
    static let restartAnnotation = "kubectl.kubernetes.io/restartedAt"

    /// How long a restarted Deployment may take to roll out before the target counts as not
    /// verified (the old token then stays valid), and how often its status is read meanwhile.
    static let rolloutTimeout: TimeInterval = 600
    static let rolloutPoll: Duration = .seconds(1)

    let target: Target
    let secret: KubernetesSecretKey
    let client: KubernetesClient
    let now: @Sendable () -> Date
    let sleep: @Sendable (Duration) async throws -> Void
    let rolloutTimeout: TimeInterval

    init(
        target: Target, secret: KubernetesSecretKey, client: KubernetesClient, now: @escaping @Sendable () -> Date,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }, rolloutTimeout: TimeInterval = rolloutTimeout
    ) {
        self.target = target
        self.secret = secret
        self.client = client
        self.now = now
        self.sleep = sleep
        self.rolloutTimeout = rolloutTimeout
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
        if let deployment = secret.restartDeployment {
            try await waitForRollout(deployment, logger: logger)
        }
        return TargetObservation(updatedAt: nil)
    }

    /// Pods started before the restart read the old token from their environment until they are
    /// replaced: the old token may be revoked only once the rollout is complete. The rule is
    /// `kubectl rollout status`'s: the new generation observed, every replica updated, no old
    /// replica left, every updated replica available; a rollout past its progress deadline fails.
    /// https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#deployment-status
    private func waitForRollout(_ deployment: String, logger: Logger) async throws(TargetError) {
        let operation = "wait for the rollout of deployment/\(deployment)"
        let path = "/apis/apps/v1/namespaces/\(URLJoin.segment(secret.namespace))/deployments/\(URLJoin.segment(deployment))"
        let deadline = now().addingTimeInterval(rolloutTimeout)
        var waiting = "not read yet"
        while true {
            let response = try await client.send("GET", path, target: target, operation: operation, logger: logger)
            guard response.status == 200 else {
                throw client.failure(response, target: target, namespace: secret.namespace, resource: "deployments", operation: operation)
            }
            guard let object = response.jsonObject() else { throw failure(operation, "the answer is not a JSON object") }
            switch Self.rollout(object) {
            case .complete: return
            case .failed(let reason): throw failure(operation, "the rollout failed: \(HTTPResponse.quote(reason)); the old token stays valid")
            case .waiting(let reason): waiting = reason
            }
            guard now() < deadline else {
                throw failure(operation, "not complete after \(Int(rolloutTimeout)) s (\(waiting)); pods may still use the old token, which stays valid")
            }
            logger.debug("waiting for rollout", metadata: [LogKeys.target: "\(target.label)", "kubernetes.deployment": "\(deployment)", "reason": "\(waiting)"])
            try? await sleep(Self.rolloutPoll)
        }
    }

    enum Rollout: Equatable {
        case complete
        case waiting(String)
        case failed(String)
    }

    /// Reads a Deployment's rollout state from its `metadata`, `spec` and `status`.
    static func rollout(_ object: [String: Any]) -> Rollout {
        let metadata = object["metadata"] as? [String: Any] ?? [:]
        let spec = object["spec"] as? [String: Any] ?? [:]
        let status = object["status"] as? [String: Any] ?? [:]
        func int(_ dictionary: [String: Any], _ key: String) -> Int? { (dictionary[key] as? NSNumber)?.intValue }
        let generation = int(metadata, "generation") ?? 0
        guard let observed = int(status, "observedGeneration"), observed >= generation else {
            return .waiting("the new generation is not observed yet")
        }
        let conditions = status["conditions"] as? [[String: Any]] ?? []
        if conditions.contains(where: { $0["type"] as? String == "Progressing" && $0["reason"] as? String == "ProgressDeadlineExceeded" }) {
            return .failed("ProgressDeadlineExceeded")
        }
        let wanted = int(spec, "replicas") ?? 1
        let updated = int(status, "updatedReplicas") ?? 0
        let total = int(status, "replicas") ?? 0
        let available = int(status, "availableReplicas") ?? 0
        if updated < wanted { return .waiting("\(updated) of \(wanted) replicas updated") }
        if total > updated { return .waiting("\(total - updated) old replicas pending termination") }
        if available < updated { return .waiting("\(available) of \(updated) updated replicas available") }
        return .complete
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
        var uncertain = false
        while true {
            var response = try await send()
            // An earlier send that got no answer may have been applied, whatever the last says.
            uncertain = uncertain || response.followsUncertainAttempt
            response.followsUncertainAttempt = uncertain
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
