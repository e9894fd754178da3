import Foundation
import Logging

/// Reads each target back — `GET` only, or a local read for files — and compares it with what the
/// state says the bot last verified there:
///
/// - GitHub (repository, environment, organization secrets): GitHub never returns a value, so its
///   `updated_at` is compared with the `updated_at` the bot's verification recorded.
/// - GitLab variables, Kubernetes Secret keys and files: the value is read and its fingerprint
///   (first 8 hex of its SHA-256) compared with the current token's and those of the other tokens
///   the bot created. Kubernetes' `resourceVersion` is shown, but not used to decide: it changes
///   whenever any other key or label of the Secret changes, which is not drift of our key.
///
/// Values are hashed as soon as they are read and never kept, printed or stored.
struct DriftInspector {
    let github: GitHubClient?
    let gitlab: GitLabClient?
    let kubernetes: KubernetesClient?
    let logger: Logger
    var azureDevOps: AzureDevOpsClient? = nil

    /// What the state knows of one rotation, for comparing.
    struct Known {
        var record: RotationRecord?
        var targets: [String: TargetRecord]
        /// Fingerprint → the bot's token with that value (id, status).
        var fingerprints: [String: ManagedToken]
    }

    func inspect(_ target: Target, rotation: Rotation, known: Known) async -> TargetDrift {
        let finding = TargetDrift(rotation: rotation.id, target: target.label, state: .unknown, detail: "")
        do {
            switch target.kind {
            case .githubRepository(let repository, let secret):
                return try await githubSecret(target, path: "/repos/\(GitHubSecretTarget.repositoryPath(repository))/actions/secrets/\(URLJoin.segment(secret))", known: known, finding)
            case .githubEnvironment(let repository, let environment, let secret):
                let path = "/repos/\(GitHubSecretTarget.repositoryPath(repository))/environments/\(URLJoin.segment(environment))/secrets/\(URLJoin.segment(secret))"
                return try await githubSecret(target, path: path, known: known, finding)
            case .githubOrganization(let secret):
                return try await githubSecret(target, path: "/orgs/\(URLJoin.segment(secret.org))/actions/secrets/\(URLJoin.segment(secret.secret))", known: known, finding)
            case .gitlabVariable(let variable):
                return try await gitlabVariable(target, variable, known: known, finding)
            case .kubernetesSecret(let secret):
                return try await kubernetesSecret(target, secret, known: known, finding)
            case .file(let destination):
                return file(destination, known: known, finding)
            case .azureDevOpsVariable(let variable):
                return try await azureDevOpsVariable(target, variable, known: known, finding)
            }
        } catch {
            var failed = finding
            failed.detail = "cannot read it back: \(error)"
            return failed
        }
    }

    private func githubSecret(_ target: Target, path: String, known: Known, _ finding: TargetDrift) async throws(TargetError) -> TargetDrift {
        var finding = finding
        guard let github else { throw TargetError(provider: .github, target: target.label, operation: "read", message: "no GitHub client") }
        let response = try await github.send("GET", path, target: target, operation: "read secret metadata", logger: logger)
        if response.status == 404 {
            finding.state = .missing
            finding.detail = "the secret does not exist any more"
            return finding
        }
        guard response.status == 200 else { throw github.failure(response, target: target, operation: "read secret metadata") }
        guard let text = response.jsonObject()?["updated_at"] as? String, let updatedAt = Timestamp.parse(text) else {
            finding.detail = "GitHub's answer has no readable updated_at"
            return finding
        }
        finding.facts["updated_at"] = text
        guard let verified = known.targets[target.identity]?.providerUpdatedAt else {
            finding.detail = "the bot has no verified write of it on record yet"
            return finding
        }
        finding.facts["verified_updated_at"] = Timestamp.format(verified)
        // GitHub keeps whole seconds; anything a second or more later is another write.
        if updatedAt.timeIntervalSince(verified) >= 1 {
            finding.state = .changed
            finding.detail = "updated_at \(text) is after the bot's verified write (\(Timestamp.format(verified))): someone else wrote it"
        } else {
            finding.state = .unchanged
            finding.detail = "updated_at matches the bot's verified write"
        }
        return finding
    }

    private func gitlabVariable(_ target: Target, _ variable: GitLabVariable, known: Known, _ finding: TargetDrift) async throws(TargetError) -> TargetDrift {
        var finding = finding
        guard let gitlab else { throw TargetError(provider: .gitlab, target: target.label, operation: "read", message: "no GitLab client") }
        let collection = switch variable.owner {
        case .project(let path): "/projects/\(URLJoin.segment(path))/variables"
        case .group(let path): "/groups/\(URLJoin.segment(path))/variables"
        }
        let path = "\(collection)/\(URLJoin.segment(variable.key))?filter%5Benvironment_scope%5D=\(GitLabVariableTarget.queryValue(variable.environmentScope))"
        let response = try await gitlab.send("GET", path, target: target, operation: "read variable", logger: logger)
        if response.status == 404 {
            finding.state = .missing
            finding.detail = "the variable does not exist any more"
            return finding
        }
        guard response.status == 200 else { throw gitlab.failure(response, target: target, variable: variable, operation: "read variable") }
        let object = response.jsonObject() ?? [:]
        if object["hidden"] as? Bool == true {
            finding.detail = "a hidden variable: GitLab never returns its value, so it cannot be compared"
            return finding
        }
        guard let value = object["value"] as? String else {
            finding.detail = "GitLab's answer has no value"
            return finding
        }
        return compare(Secret(value).fingerprint, known: known, finding)
    }

    private func kubernetesSecret(_ target: Target, _ secret: KubernetesSecretKey, known: Known, _ finding: TargetDrift) async throws(TargetError) -> TargetDrift {
        var finding = finding
        guard let kubernetes else { throw TargetError(provider: .kubernetes, target: target.label, operation: "read", message: "no Kubernetes client") }
        let path = "/api/v1/namespaces/\(URLJoin.segment(secret.namespace))/secrets/\(URLJoin.segment(secret.secret))"
        let response = try await kubernetes.send("GET", path, target: target, operation: "read secret", logger: logger)
        if response.status == 404 {
            finding.state = .missing
            finding.detail = "the Secret does not exist any more"
            return finding
        }
        guard response.status == 200 else {
            throw kubernetes.failure(response, target: target, namespace: secret.namespace, resource: "secrets", operation: "read secret")
        }
        let object = response.jsonObject() ?? [:]
        if let version = (object["metadata"] as? [String: Any])?["resourceVersion"] as? String {
            finding.facts["resource_version"] = version
        }
        guard let encoded = (object["data"] as? [String: Any])?[secret.key] as? String, let decoded = Data(base64Encoded: encoded) else {
            finding.state = .missing
            finding.detail = "the Secret has no data.\(secret.key) any more"
            return finding
        }
        return compare(Secret(String(decoding: decoded, as: UTF8.self)).fingerprint, known: known, finding)
    }

    private func file(_ destination: FileDestination, known: Known, _ finding: TargetDrift) -> TargetDrift {
        var finding = finding
        guard FileManager.default.fileExists(atPath: destination.path) else {
            finding.state = .missing
            finding.detail = "the file does not exist any more"
            return finding
        }
        guard let data = FileManager.default.contents(atPath: destination.path) else {
            finding.detail = "cannot read the file (permission denied)"
            return finding
        }
        return compare(Secret(String(decoding: data, as: UTF8.self)).fingerprint, known: known, finding)
    }

    /// A fingerprint read back against the current token's and the bot's other tokens'.
    private func compare(_ fingerprint: String, known: Known, _ finding: TargetDrift) -> TargetDrift {
        var finding = finding
        finding.facts["fingerprint"] = fingerprint
        guard let current = known.record?.fingerprint else {
            finding.detail = switch known.record {
            case nil: "the bot has not rotated it yet; cannot compare"
            case let record? where record.adopted: "the current token is the adopted one, whose value the bot never saw; cannot compare"
            default: "the state has no fingerprint of the current token; cannot compare"
            }
            return finding
        }
        if fingerprint == current {
            finding.state = .unchanged
            finding.detail = "holds the current token (fingerprint \(current))"
        } else if let token = known.fingerprints[fingerprint] {
            finding.state = .stale
            finding.detail = "holds the bot's token \(token.tokenID) (\(token.status.rawValue)), not the current one (fingerprint \(current)); the next run rolls forward"
        } else {
            finding.state = .changed
            finding.detail = "holds a value the bot never wrote (fingerprint \(fingerprint), current token's \(current)): someone else wrote it"
        }
        return finding
    }
}
