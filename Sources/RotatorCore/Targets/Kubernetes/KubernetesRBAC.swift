import Foundation

/// The least Kubernetes RBAC a plan's targets need, derived from what `KubernetesSecretTarget`
/// and `DriftInspector` send, one Role per namespace (a Role grants only in its own namespace):
///
/// - Secrets: `patch` (the server-side apply of one key), `get` (the read-back, and `status`'s
///   drift check); never `list` or `watch`, which would reveal every Secret of the namespace.
/// - Deployments named by `restart:`: `patch` (the `restartedAt` annotation) and `get` (waiting for
///   the rollout before the old token may be revoked).
///
/// Not `create`: server-side apply creates a Secret that does not exist yet, and the API server then
/// authorizes `create` as well, with the Secret's name, so `resourceNames` still limits it
/// (`staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go`, `createAuthorizerAttributes`).
/// Creating each target Secret once beforehand keeps the grant to get and patch; `docs/deployment.md`
/// says how.
public struct KubernetesRBAC: Sendable, Equatable {
    public static let roleName = "envshed-rotator"
    static let verbs = ["get", "patch"]

    /// Namespace → its rules: Secrets first, then Deployments (if any).
    public var rules: [String: [KubernetesRBACRule]]

    public init(targets: [Target]) {
        var secrets: [String: Set<String>] = [:]
        var deployments: [String: Set<String>] = [:]
        for target in targets {
            guard case .kubernetesSecret(let key) = target.kind else { continue }
            secrets[key.namespace, default: []].insert(key.secret)
            if let deployment = key.restartDeployment { deployments[key.namespace, default: []].insert(deployment) }
        }
        var rules: [String: [KubernetesRBACRule]] = [:]
        for (namespace, names) in secrets {
            rules[namespace] = [KubernetesRBACRule(apiGroup: "", resource: "secrets", resourceNames: Array(names), verbs: Self.verbs)]
            if let restarted = deployments[namespace] {
                rules[namespace]?.append(KubernetesRBACRule(apiGroup: "apps", resource: "deployments", resourceNames: Array(restarted), verbs: Self.verbs))
            }
        }
        self.rules = rules
    }

    /// The Roles as YAML documents, namespaces sorted; a comment only when the plan has no
    /// Kubernetes target. Every string is a JSON string, which YAML reads as the same string.
    public func yaml(roleName: String = roleName) -> String {
        var lines = [
            "# The Kubernetes RBAC this plan's targets need: one Role per namespace. Bind each to the",
            "# rotator's ServiceAccount with a RoleBinding in the same namespace (deploy/kubernetes/).",
        ]
        if rules.isEmpty {
            lines.append("# The plan has no Kubernetes target: no Role is needed.")
        }
        for namespace in rules.keys.sorted() {
            lines += [
                "---",
                "apiVersion: rbac.authorization.k8s.io/v1",
                "kind: Role",
                "metadata:",
                "  name: \(Self.quote(roleName))",
                "  namespace: \(Self.quote(namespace))",
                "rules:",
            ]
            for rule in rules[namespace] ?? [] {
                lines += [
                    "  - apiGroups: [\(Self.quote(rule.apiGroup))]",
                    "    resources: [\(Self.quote(rule.resource))]",
                    "    resourceNames: [\(rule.resourceNames.map(Self.quote).joined(separator: ", "))]",
                    "    verbs: [\(rule.verbs.map(Self.quote).joined(separator: ", "))]",
                ]
            }
        }
        return lines.joined(separator: "\n")
    }

    static func quote(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}
