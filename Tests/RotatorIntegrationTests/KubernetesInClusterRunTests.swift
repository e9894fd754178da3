import Foundation
import RotatorEmulators
import Testing
import Yams

/// The real binary as the CronJob of deploy/kubernetes runs it: no `providers.kubernetes.token`,
/// the service account's token from its directory (here `ENVSHED_ROTATOR_KUBERNETES_SERVICE_ACCOUNT_DIR`
/// points at a test directory), and only the RBAC that `plan --rbac` prints, enforced by the
/// emulator as the API server does (https://kubernetes.io/docs/reference/access-authn-authz/rbac/).
/// Two rotations share the Kubernetes and Envshed hosts, one also writes GitHub.
@Suite("Kubernetes in a pod: service-account token and plan --rbac's Roles, through the real binary", .serialized)
struct KubernetesInClusterRunTests {
    static let rotations = [
        Scenario.PlannedRotation(
            id: "kube-api", adopt: nil,
            targets: ["kubernetes: { namespace: api, secret: envshed, key: ENVSHED_TOKEN, restart: deployment/api }", "github: { repo: acme/api, secret: ENVSHED_TOKEN }"]
        ),
        Scenario.PlannedRotation(id: "kube-web", adopt: nil, targets: ["kubernetes: { namespace: web, secret: envshed, key: ENVSHED_TOKEN }"]),
    ]

    /// The Roles of `plan --rbac`'s YAML as the emulator enforces them.
    static func roleRules(fromRBACYAML yaml: String) throws -> [KubernetesRoleRule] {
        var rules: [KubernetesRoleRule] = []
        for case let document as [String: Any] in try Yams.load_all(yaml: yaml) {
            #expect(document["kind"] as? String == "Role")
            let metadata = try #require(document["metadata"] as? [String: Any])
            let namespace = try #require(metadata["namespace"] as? String)
            for rule in try #require(document["rules"] as? [[String: Any]]) {
                let groups = try #require(rule["apiGroups"] as? [String])
                let resources = try #require(rule["resources"] as? [String])
                for group in groups {
                    for resource in resources {
                        rules.append(KubernetesRoleRule(
                            namespace: namespace, apiGroup: group, resource: resource,
                            resourceNames: Set(rule["resourceNames"] as? [String] ?? []), verbs: Set(rule["verbs"] as? [String] ?? [])
                        ))
                    }
                }
            }
        }
        return rules
    }

    /// The plan as the ConfigMap holds it: `providers.kubernetes` without a token.
    static func inClusterPlan(_ world: Scenario, adopt: [String: String]) -> String {
        let plan = world.rotationsPlan(rotations.map { Scenario.PlannedRotation(id: $0.id, adopt: adopt[$0.id], targets: $0.targets) })
        return plan.replacingOccurrences(of: "token: env:KUBE_TOKEN", with: "")
    }

    @Test("the service account's token authenticates, the plan's Roles suffice, a token the kubelet replaced between runs is picked up")
    func inClusterRuns() async throws {
        try await Scenario.with { world in
            let serviceAccount = world.directory + "/serviceaccount"
            try FileManager.default.createDirectory(atPath: serviceAccount, withIntermediateDirectories: true)
            try (world.kubernetesToken + "\n").write(toFile: serviceAccount + "/token", atomically: true, encoding: .utf8)
            let environment = ["ENVSHED_ROTATOR_KUBERNETES_SERVICE_ACCOUNT_DIR": serviceAccount, "KUBE_TOKEN": ""]
            // The target Secrets exist (created once at install, docs/deployment.md): get and patch suffice.
            world.kubernetes.addSecret(namespace: "api", name: "envshed", data: ["OTHER": "keep-me"])
            world.kubernetes.addSecret(namespace: "web", name: "envshed", data: [:])
            world.kubernetes.addDeployment(namespace: "api", name: "api")
            let old = ["kube-api": world.seedToken(expiresInDays: 3), "kube-web": world.seedToken(expiresInDays: 3)]
            try world.writePlan(Self.inClusterPlan(world, adopt: old.mapValues(\.id)))

            let rbac = try await world.rotator(["plan", "--rbac"], extraEnvironment: environment)
            #expect(rbac.exitCode == 0, "\(rbac.all)")
            let rules = try Self.roleRules(fromRBACYAML: rbac.stdout)
            #expect(Set(rules.map(\.namespace)) == ["api", "web"])
            #expect(rules.allSatisfy { !$0.resourceNames.isEmpty && $0.verbs == ["get", "patch"] })
            #expect(world.kubernetes.requests.isEmpty, "plan --rbac is offline")
            world.kubernetes.enforceRBAC(rules)

            let first = try await world.rotator(["run"], extraEnvironment: environment)
            #expect(first.exitCode == 0, "\(first.all)")
            for (id, namespace) in [("kube-api", "api"), ("kube-web", "web")] {
                let current = KubernetesSharedSecretTests.currentToken(world, of: id)
                #expect(current?.isLive == true)
                #expect(world.kubernetes.secretValue(namespace: namespace, name: "envshed", key: "ENVSHED_TOKEN") == current?.value)
                #expect(world.envshed.token(id: old[id]?.id ?? "")?.isLive == false, "\(id)'s old token is revoked")
            }
            #expect(world.kubernetes.secretValue(namespace: "api", name: "envshed", key: "OTHER") == "keep-me")
            #expect(world.githubSecret("acme/api") == KubernetesSharedSecretTests.currentToken(world, of: "kube-api")?.value)
            #expect(world.kubernetes.requests.filter { $0.status == 401 || $0.status == 403 }.isEmpty)

            // The kubelet replaced the projected token; the cluster no longer accepts the old one.
            let replaced = "kube-sa-replaced-" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
            try (replaced + "\n").write(toFile: serviceAccount + "/token", atomically: true, encoding: .utf8)
            world.kubernetes.acceptTokens([replaced])
            let second = try await world.rotator(["rotate", "kube-web", "--reason", "service-account token replaced", "--yes"], extraEnvironment: environment)
            #expect(second.exitCode == 0, "\(second.all)")
            #expect(
                world.kubernetes.secretValue(namespace: "web", name: "envshed", key: "ENVSHED_TOKEN")
                    == KubernetesSharedSecretTests.currentToken(world, of: "kube-web")?.value
            )
            #expect(world.kubernetes.requests.filter { $0.status == 401 || $0.status == 403 }.isEmpty)
            try world.expectNoSecretsLeaked([rbac, first, second])
        }
    }

    @Test("RBAC denied (the Role lacks patch on the Deployment): the run fails, says which verb and where, and the old token stays valid")
    func rbacDenied() async throws {
        try await Scenario.with { world in
            let serviceAccount = world.directory + "/serviceaccount"
            try FileManager.default.createDirectory(atPath: serviceAccount, withIntermediateDirectories: true)
            try (world.kubernetesToken + "\n").write(toFile: serviceAccount + "/token", atomically: true, encoding: .utf8)
            let environment = ["ENVSHED_ROTATOR_KUBERNETES_SERVICE_ACCOUNT_DIR": serviceAccount, "KUBE_TOKEN": ""]
            world.kubernetes.addSecret(namespace: "api", name: "envshed", data: [:])
            world.kubernetes.addSecret(namespace: "web", name: "envshed", data: [:])
            world.kubernetes.addDeployment(namespace: "api", name: "api")
            // Due (7 days of lead time) but not within warn_before_days (3): a failure exits 1, not 3.
            let old = ["kube-api": world.seedToken(expiresInDays: 5), "kube-web": world.seedToken(expiresInDays: 5)]
            try world.writePlan(Self.inClusterPlan(world, adopt: old.mapValues(\.id)))
            let rbac = try await world.rotator(["plan", "--rbac"], extraEnvironment: environment)
            #expect(rbac.exitCode == 0, "\(rbac.all)")
            var rules = try Self.roleRules(fromRBACYAML: rbac.stdout)
            let index = try #require(rules.firstIndex { $0.resource == "deployments" })
            rules[index].verbs.remove("patch")
            world.kubernetes.enforceRBAC(rules)

            let run = try await world.rotator(["run"], extraEnvironment: environment)
            #expect(run.exitCode == 1, "\(run.all)")
            #expect(run.stderr.contains("HTTP 403"), "\(run.stderr)")
            #expect(run.stderr.contains("lacks RBAC permission: the bot needs get and patch on deployments.apps"), "\(run.stderr)")
            #expect(run.stderr.contains("plan --rbac"))
            #expect(world.envshed.token(id: old["kube-api"]?.id ?? "")?.isLive == true, "the old token of the failed rotation stays valid")
            // The other rotation, sharing the hosts, is not held back by it.
            #expect(world.envshed.token(id: old["kube-web"]?.id ?? "")?.isLive == false)
            #expect(world.kubernetes.secretValue(namespace: "web", name: "envshed", key: "ENVSHED_TOKEN") == KubernetesSharedSecretTests.currentToken(world, of: "kube-web")?.value)
        }
    }
}
