import Foundation
import Logging
import RotatorEmulators
import Testing
@testable import RotatorCore

/// In a pod the Kubernetes target authenticates with its service account: the projected token
/// at `/var/run/secrets/kubernetes.io/serviceaccount/token`, which the kubelet replaces before it
/// expires (https://kubernetes.io/docs/concepts/storage/projected-volumes/#serviceaccounttoken),
/// so it is read again before every request; and the RBAC it needs is derived from the plan.
@Suite("Kubernetes in a pod: service-account token, RBAC from the plan")
struct KubernetesInClusterTests {
    static let logger = Logger(label: "test")

    func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("k8s-sa-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Writes the token as the kubelet does: a new file, then a rename over the old one.
    static func writeToken(_ token: String, in directory: String) throws {
        try (token + "\n").write(toFile: directory + "/token", atomically: true, encoding: .utf8)
    }

    static func target(_ key: KubernetesSecretKey, client: KubernetesClient) -> KubernetesSecretTarget {
        KubernetesSecretTarget(
            target: Target(kind: .kubernetesSecret(key), location: SourceLocation(file: "plan.yaml", line: 1, column: 1)), secret: key, client: client,
            now: { Date() }, sleep: { _ in }, rolloutTimeout: 30
        )
    }

    @Test("the service-account directory comes from ENVSHED_ROTATOR_KUBERNETES_SERVICE_ACCOUNT_DIR, else the pod's; host, port and CA as in a pod")
    func directoryOverride() throws {
        #expect(KubernetesEndpoint.serviceAccountDirectory(environment: [:]) == "/var/run/secrets/kubernetes.io/serviceaccount")
        #expect(KubernetesEndpoint.serviceAccountDirectory(environment: [KubernetesEndpoint.serviceAccountDirectoryVariable: ""]) == "/var/run/secrets/kubernetes.io/serviceaccount")
        let root = try directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.writeToken("sa-token-one", in: root)
        try KubernetesEndpointTests.certificate.write(toFile: root + "/ca.crt", atomically: true, encoding: .utf8)
        let endpoint = try KubernetesEndpoint.resolve(
            KubernetesSettings(),
            environment: [
                KubernetesEndpoint.serviceAccountDirectoryVariable: root, "KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443",
            ]
        )
        #expect(endpoint.apiURL.absoluteString == "https://10.96.0.1:443")
        #expect(endpoint.tokenFile == root + "/token")
        #expect(endpoint.caFile == root + "/ca.crt")
        #expect(endpoint.currentToken()?.withRevealed { $0 } == "sa-token-one")
        #expect(endpoint.credentialName.contains(root + "/token"))
    }

    @Test("a configured token is used as is: the service-account file is neither read nor re-read")
    func configuredTokenWins() throws {
        let root = try directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.writeToken("sa-token-one", in: root)
        let endpoint = try KubernetesEndpoint.resolve(
            KubernetesSettings(apiURL: URL(string: "http://127.0.0.1:8001"), token: .environment("KUBE_TOKEN")),
            environment: [KubernetesEndpoint.serviceAccountDirectoryVariable: root, "KUBE_TOKEN": "configured"]
        )
        #expect(endpoint.tokenFile == nil)
        try Self.writeToken("sa-token-two", in: root)
        #expect(endpoint.currentToken()?.withRevealed { $0 } == "configured")
    }

    @Test("the kubelet replaces the projected token mid-run and the old one stops working: the next request sends the new one")
    func tokenRotationMidRun() async throws {
        let root = try directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.writeToken("sa-token-one", in: root)
        let emulator = KubernetesEmulator(acceptedTokens: ["sa-token-one"])
        emulator.addNamespace("api")
        let server = try await emulator.start()
        defer { Task { await server.stop() } }
        let endpoint = try KubernetesEndpoint.resolve(
            KubernetesSettings(apiURL: server.baseURL), environment: [KubernetesEndpoint.serviceAccountDirectoryVariable: root]
        )
        let key = KubernetesSecretKey(namespace: "api", secret: "envshed", key: "ENVSHED_TOKEN", restartDeployment: nil)
        let writer = Self.target(key, client: KubernetesClient(transport: CurlTransport(), endpoint: endpoint))
        let receipt = try await writer.push(Secret("envshed_svc_first0123456789"), logger: Self.logger)
        // Between the write and its read-back, as during a long rollout wait.
        try Self.writeToken("sa-token-two", in: root)
        emulator.acceptTokens(["sa-token-two"])
        _ = try await writer.verify(receipt, logger: Self.logger)
        _ = try await writer.push(Secret("envshed_svc_second012345678"), logger: Self.logger)
        #expect(emulator.secretValue(namespace: "api", name: "envshed", key: "ENVSHED_TOKEN") == "envshed_svc_second012345678")
        let rejected = emulator.requests.filter { $0.status == 401 }
        #expect(rejected.isEmpty, "\(rejected.count) requests sent a token the cluster no longer accepts")
    }

    @Test("a file caught mid-replacement (gone for a moment) does not lose the token: the last one read is sent")
    func tokenFileMissingKeepsLast() throws {
        let root = try directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.writeToken("sa-token-one", in: root)
        let endpoint = try KubernetesEndpoint.resolve(
            KubernetesSettings(apiURL: URL(string: "http://127.0.0.1:8001")), environment: [KubernetesEndpoint.serviceAccountDirectoryVariable: root]
        )
        try FileManager.default.removeItem(atPath: root + "/token")
        #expect(endpoint.currentToken()?.withRevealed { $0 } == "sa-token-one")
    }

    @Test("the Roles of a plan: one per namespace, only the named Secrets and restarted Deployments, get and patch, no duplicates")
    func rbacFromTargets() {
        func kube(_ namespace: String, _ secret: String, _ key: String, restart: String? = nil) -> Target {
            Target(
                kind: .kubernetesSecret(KubernetesSecretKey(namespace: namespace, secret: secret, key: key, restartDeployment: restart)),
                location: SourceLocation(file: "plan.yaml", line: 1, column: 1)
            )
        }
        let github = Target(kind: .githubRepository(repository: "acme/api", secret: "ENVSHED_TOKEN"), location: SourceLocation(file: "plan.yaml", line: 2, column: 1))
        let rbac = KubernetesRBAC(targets: [
            kube("web", "envshed", "A"), kube("api", "shared", "A", restart: "api"), kube("api", "shared", "B", restart: "api"),
            kube("api", "envshed", "C", restart: "worker"), github,
        ])
        #expect(rbac.rules == [
            "api": [
                KubernetesRBACRule(apiGroup: "", resource: "secrets", resourceNames: ["envshed", "shared"], verbs: ["get", "patch"]),
                KubernetesRBACRule(apiGroup: "apps", resource: "deployments", resourceNames: ["api", "worker"], verbs: ["get", "patch"]),
            ],
            "web": [KubernetesRBACRule(apiGroup: "", resource: "secrets", resourceNames: ["envshed"], verbs: ["get", "patch"])],
        ])
        let yaml = rbac.yaml()
        #expect(yaml.contains("""
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata:
              name: "envshed-rotator"
              namespace: "api"
            rules:
              - apiGroups: [""]
                resources: ["secrets"]
                resourceNames: ["envshed", "shared"]
                verbs: ["get", "patch"]
              - apiGroups: ["apps"]
                resources: ["deployments"]
                resourceNames: ["api", "worker"]
                verbs: ["get", "patch"]
            ---
            """))
        #expect(!yaml.contains("list") && !yaml.contains("watch") && !yaml.contains("create"))
        #expect(KubernetesRBAC(targets: [github]).yaml().contains("no Kubernetes target"))
    }

    /// The emulator enforces the Roles `plan --rbac` derives: the writes of a restart target go
    /// through, and each verb left out is a 403 that fails the push or the read-back.
    @Test("the derived Role is enough for apply, read-back, restart and rollout wait; each verb left out fails with RBAC's 403")
    func derivedRoleIsEnoughAndNeeded() async throws {
        let key = KubernetesSecretKey(namespace: "api", secret: "envshed", key: "ENVSHED_TOKEN", restartDeployment: "api")
        let target = Target(kind: .kubernetesSecret(key), location: SourceLocation(file: "plan.yaml", line: 1, column: 1))
        let derived = KubernetesRBAC(targets: [target]).rules["api"] ?? []
        func roleRules(_ rules: [KubernetesRBACRule]) -> [KubernetesRoleRule] {
            rules.map {
                KubernetesRoleRule(namespace: "api", apiGroup: $0.apiGroup, resource: $0.resource, resourceNames: Set($0.resourceNames), verbs: Set($0.verbs))
            }
        }
        func attempt(_ rules: [KubernetesRBACRule]) async throws -> TargetError? {
            let emulator = KubernetesEmulator(acceptedTokens: ["sa-token"])
            emulator.addSecret(namespace: "api", name: "envshed", data: ["OTHER": "kept"])
            emulator.addDeployment(namespace: "api", name: "api")
            emulator.enforceRBAC(roleRules(rules))
            let server = try await emulator.start()
            defer { Task { await server.stop() } }
            let client = KubernetesClient(
                transport: CurlTransport(), endpoint: KubernetesEndpoint(apiURL: server.baseURL, token: Secret("sa-token"), credentialName: "the service-account token")
            )
            let writer = Self.target(key, client: client)
            do {
                let receipt = try await writer.push(Secret("envshed_svc_rbac0123456789"), logger: Self.logger)
                _ = try await writer.verify(receipt, logger: Self.logger)
                return nil
            } catch {
                return error
            }
        }
        #expect(derived.count == 2)
        let allowed = try await attempt(derived)
        #expect(allowed == nil, "\(String(describing: allowed))")
        for (index, rule) in derived.enumerated() {
            for verb in rule.verbs {
                var reduced = derived
                reduced[index] = KubernetesRBACRule(apiGroup: rule.apiGroup, resource: rule.resource, resourceNames: rule.resourceNames, verbs: rule.verbs.filter { $0 != verb })
                let denied = try await attempt(reduced)
                #expect(denied?.status == 403, "without \(verb) on \(rule.resource): \(String(describing: denied))")
                #expect(denied?.description.contains("lacks RBAC permission") == true, "\(String(describing: denied))")
            }
        }
    }

    @Test("a Secret that does not exist yet needs create as well: without it the first apply is a 403 and nothing is written")
    func missingSecretNeedsCreate() async throws {
        let emulator = KubernetesEmulator(acceptedTokens: ["sa-token"])
        emulator.addNamespace("api")
        let key = KubernetesSecretKey(namespace: "api", secret: "envshed", key: "ENVSHED_TOKEN", restartDeployment: nil)
        let target = Target(kind: .kubernetesSecret(key), location: SourceLocation(file: "plan.yaml", line: 1, column: 1))
        emulator.enforceRBAC((KubernetesRBAC(targets: [target]).rules["api"] ?? []).map {
            KubernetesRoleRule(namespace: "api", apiGroup: $0.apiGroup, resource: $0.resource, resourceNames: Set($0.resourceNames), verbs: Set($0.verbs))
        })
        let server = try await emulator.start()
        defer { Task { await server.stop() } }
        let client = KubernetesClient(
            transport: CurlTransport(), endpoint: KubernetesEndpoint(apiURL: server.baseURL, token: Secret("sa-token"), credentialName: "the service-account token")
        )
        let error = await #expect(throws: TargetError.self) {
            _ = try await Self.target(key, client: client).push(Secret("envshed_svc_rbac0123456789"), logger: Self.logger)
        }
        #expect(error?.status == 403)
        #expect(emulator.secret(namespace: "api", name: "envshed") == nil)
    }

    @Test("file: credentials: a Secret volume's fsGroup-readable root-owned file is accepted; the same mode outside such a volume, group-writable, readable by others, not root's, or beside an imitation ..data, is not")
    func kubernetesVolumeCredential() throws {
        let root = try directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let volume = root + "/credentials"
        let plain = root + "/plain"
        for path in [volume, plain] { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        // What the kubelet's atomic writer leaves: a `..data` link to a timestamped directory.
        try FileManager.default.createDirectory(atPath: volume + "/..2026_12_02", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: volume + "/..data", withDestinationPath: "..2026_12_02")
        // A `..data` that is a plain directory, not the kubelet's link: someone's imitation.
        let imitation = root + "/imitation"
        try FileManager.default.createDirectory(atPath: imitation + "/..data", withIntermediateDirectories: true)
        for path in [volume + "/token", plain + "/token", volume + "/open", volume + "/writable", volume + "/foreign", imitation + "/token"] {
            try "envshed_admin_secret\n".write(toFile: path, atomically: true, encoding: .utf8)
            chown(path, geteuid(), getegid())
        }
        chmod(volume + "/token", 0o440)
        chmod(plain + "/token", 0o440)
        chmod(volume + "/open", 0o444)
        chmod(volume + "/writable", 0o460)
        chmod(imitation + "/token", 0o440)
        // The kubelet writes as root: a file owned by anyone else is not its own.
        chmod(volume + "/foreign", 0o440)
        #expect(chown(volume + "/foreign", 65_534, getegid()) == 0 || geteuid() != 0)
        // Only root makes root-owned files, as the kubelet does; as another user the file is refused.
        if geteuid() == 0 {
            #expect(try CredentialReference.file(volume + "/token").resolve(environment: [:]).withRevealed { $0 } == "envshed_admin_secret")
        }
        var refusedPaths = [plain + "/token", volume + "/open", volume + "/writable", imitation + "/token"]
        if geteuid() == 0 { refusedPaths.append(volume + "/foreign") }
        for refused in refusedPaths {
            let error = try #require(throws: CredentialError.self) { _ = try CredentialReference.file(refused).resolve(environment: [:]) }
            #expect(error.reason.contains("readable by group or others"))
        }
    }
}
