import Foundation
import Testing
import Yams

/// deploy/kubernetes as a reviewer would check it: every manifest parses; the CronJob runs one
/// pod at a time, not as root, on a read-only root file system, without privilege escalation or
/// capabilities, writing only to emptyDir volumes; credentials come from a Secret volume as
/// `file:` references; the plan from the ConfigMap; and the Role grants exactly what
/// `envshed-rotator plan --rbac` prints for that plan, nothing more (least privilege) and nothing
/// less (the run would fail).
@Suite("deploy/kubernetes: manifests parse, the CronJob is locked down, the Role is what plan --rbac prints")
struct KubernetesManifestTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("deploy/kubernetes").path

    typealias Object = [String: Any]

    /// Every document of every `.yaml` file, with the file it came from.
    static func documents() throws -> [(file: String, object: Object)] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        var result: [(String, Object)] = []
        for file in files {
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            for document in try Yams.load_all(yaml: text) {
                guard let object = document as? Object else {
                    Issue.record("\(file): a document is not a mapping")
                    continue
                }
                result.append((file, object))
            }
        }
        return result
    }

    static func objects(_ kind: String, in documents: [(file: String, object: Object)]) -> [Object] {
        documents.map(\.object).filter { $0["kind"] as? String == kind }
    }

    static func value(_ object: Any?, _ path: String) -> Any? {
        var current = object
        for key in path.split(separator: ".") {
            current = (current as? Object)?[String(key)]
        }
        return current
    }

    @Test("every manifest parses and names its kind and apiVersion; the kustomization lists every other file")
    func parses() throws {
        let documents = try Self.documents()
        #expect(documents.count >= 7)
        for (file, object) in documents {
            #expect(object["apiVersion"] is String, "\(file)")
            #expect(object["kind"] is String, "\(file)")
        }
        let kustomization = try #require(Self.objects("Kustomization", in: documents).first)
        let listed = Set(kustomization["resources"] as? [String] ?? [])
        let files = Set(documents.map(\.file)).subtracting(["kustomization.yaml"])
        #expect(listed == files)
        for kind in ["Namespace", "ServiceAccount", "Role", "RoleBinding", "ConfigMap", "CronJob"] {
            #expect(!Self.objects(kind, in: documents).isEmpty, "no \(kind)")
        }
    }

    @Test("the CronJob: Forbid, a starting deadline, non-root, read-only root, no escalation, no capabilities, emptyDir for writes, the plan's credentials on a Secret volume")
    func cronJob() throws {
        let documents = try Self.documents()
        let cronJob = try #require(Self.objects("CronJob", in: documents).first)
        #expect(cronJob["apiVersion"] as? String == "batch/v1")
        #expect(Self.value(cronJob, "spec.concurrencyPolicy") as? String == "Forbid")
        let deadline = try #require(Self.value(cronJob, "spec.startingDeadlineSeconds") as? Int)
        #expect(deadline > 0)
        let pod = try #require(Self.value(cronJob, "spec.jobTemplate.spec.template.spec") as? Object)
        let serviceAccount = try #require(Self.objects("ServiceAccount", in: documents).first)
        #expect(pod["serviceAccountName"] as? String == Self.value(serviceAccount, "metadata.name") as? String)
        #expect(Self.value(cronJob, "metadata.namespace") as? String == Self.value(serviceAccount, "metadata.namespace") as? String)
        #expect(pod["restartPolicy"] as? String == "Never")
        #expect(Self.value(pod, "securityContext.runAsNonRoot") as? Bool == true)
        let user = try #require(Self.value(pod, "securityContext.runAsUser") as? Int)
        #expect(user != 0)

        let volumes = try #require(pod["volumes"] as? [Object])
        func volume(_ name: String?) -> Object? { volumes.first { $0["name"] as? String == name } }
        let containers = try #require(pod["containers"] as? [Object])
        #expect(!containers.isEmpty)
        var secretMounts: [String] = []
        var configMapMounts: [(path: String, subPath: String?, configMap: String)] = []
        var writable: [String] = []
        var stateMounts: [(path: String, claim: String)] = []
        for container in containers {
            let name = container["name"] as? String ?? "?"
            let security = try #require(container["securityContext"] as? Object, "\(name)")
            #expect(security["allowPrivilegeEscalation"] as? Bool == false, "\(name)")
            #expect(security["readOnlyRootFilesystem"] as? Bool == true, "\(name)")
            #expect(security["privileged"] as? Bool != true, "\(name)")
            #expect((Self.value(security, "capabilities.drop") as? [String])?.contains("ALL") == true, "\(name)")
            #expect(Self.value(security, "capabilities.add") == nil, "\(name)")
            for mount in container["volumeMounts"] as? [Object] ?? [] {
                let path = try #require(mount["mountPath"] as? String)
                let source = try #require(volume(mount["name"] as? String), "\(name): mount \(path) has no volume")
                if source["secret"] != nil {
                    #expect(mount["readOnly"] as? Bool == true, "\(path)")
                    secretMounts.append(path)
                } else if let configMap = Self.value(source, "configMap.name") as? String {
                    #expect(mount["readOnly"] as? Bool == true, "\(path)")
                    configMapMounts.append((path, mount["subPath"] as? String, configMap))
                } else if let claim = Self.value(source, "persistentVolumeClaim.claimName") as? String {
                    #expect(mount["readOnly"] as? Bool != true)
                    stateMounts.append((path, claim))
                } else {
                    #expect(source["emptyDir"] != nil, "\(path): the only writable volumes are emptyDir and the state claim")
                    #expect(mount["readOnly"] as? Bool != true)
                    writable.append(path)
                }
            }
            // The state directory is on the PersistentVolumeClaim of state.yaml, never in an
            // emptyDir: the journal of which target may hold which token must outlive the pod.
            let env = container["env"] as? [Object] ?? []
            let state = try #require(env.first { $0["name"] as? String == "STATE_DIRECTORY" }?["value"] as? String)
            let claims = Self.objects("PersistentVolumeClaim", in: documents)
            #expect(stateMounts.contains { mount in
                (state == mount.path || state.hasPrefix(mount.path + "/")) && claims.contains { Self.value($0, "metadata.name") as? String == mount.claim }
            }, "STATE_DIRECTORY \(state) is not on a PersistentVolumeClaim of the manifests: \(stateMounts)")
            #expect(!writable.contains { state == $0 || state.hasPrefix($0 + "/") }, "STATE_DIRECTORY \(state) is in an emptyDir")
            let args = container["args"] as? [String] ?? []
            #expect(args.first == "run")
            let configIndex = try #require(args.firstIndex(of: "--config"))
            let planPath = args[configIndex + 1]
            let configMap = try #require(Self.objects("ConfigMap", in: documents).first)
            let configMapName = try #require(Self.value(configMap, "metadata.name") as? String)
            #expect(
                configMapMounts.contains { mount in
                    // With subPath the file is mounted at the path itself; without, inside the directory.
                    mount.configMap == configMapName && (mount.subPath == nil || mount.subPath == "plan.yaml")
                        && (mount.subPath == nil ? mount.path + "/plan.yaml" : mount.path) == planPath
                },
                "--config \(planPath) is not the ConfigMap's plan.yaml"
            )
        }
        // Every file: credential of the plan is on a Secret volume; the Kubernetes provider sets
        // no token (the service account's is used).
        let plan = try Self.plan(documents)
        let references = Self.fileReferences(in: plan)
        #expect(!references.isEmpty)
        for reference in references {
            #expect(secretMounts.contains { reference.hasPrefix($0 + "/") }, "\(reference) is not on a Secret volume (\(secretMounts))")
        }
        #expect(Self.value(plan, "providers.kubernetes.token") == nil)
        #expect(Self.value(plan, "providers.kubernetes.api_url") == nil)
    }

    @Test("the Role grants only get and patch on named objects; the RoleBinding gives it to the CronJob's ServiceAccount in the Role's namespace")
    func leastRBAC() throws {
        let documents = try Self.documents()
        let roles = Self.objects("Role", in: documents)
        #expect(!roles.isEmpty)
        #expect(Self.objects("ClusterRole", in: documents).isEmpty && Self.objects("ClusterRoleBinding", in: documents).isEmpty)
        for role in roles {
            for rule in role["rules"] as? [Object] ?? [] {
                #expect(!(rule["resourceNames"] as? [String] ?? []).isEmpty, "a rule without resourceNames grants every object")
                #expect(Set(rule["verbs"] as? [String] ?? []).isSubset(of: ["get", "patch"]), "\(rule)")
                #expect(!(rule["resources"] as? [String] ?? []).contains("*"))
            }
        }
        let serviceAccount = try #require(Self.objects("ServiceAccount", in: documents).first)
        let bindings = Self.objects("RoleBinding", in: documents)
        for role in roles {
            let namespace = Self.value(role, "metadata.namespace") as? String
            let binding = bindings.first {
                Self.value($0, "metadata.namespace") as? String == namespace && Self.value($0, "roleRef.name") as? String == Self.value(role, "metadata.name") as? String
            }
            let subjects = try #require(binding?["subjects"] as? [Object], "no RoleBinding for the Role in \(namespace ?? "?")")
            #expect(Self.value(binding, "roleRef.kind") as? String == "Role")
            #expect(subjects.contains {
                $0["kind"] as? String == "ServiceAccount" && $0["name"] as? String == Self.value(serviceAccount, "metadata.name") as? String
                    && $0["namespace"] as? String == Self.value(serviceAccount, "metadata.namespace") as? String
            })
        }
    }

    @Test("the Roles equal what envshed-rotator plan --rbac prints for the ConfigMap's plan")
    func roleMatchesPlan() async throws {
        let documents = try Self.documents()
        let configMap = try #require(Self.objects("ConfigMap", in: documents).first)
        let planText = try #require((configMap["data"] as? Object)?["plan.yaml"] as? String)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("manifest-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try planText.write(toFile: directory + "/plan.yaml", atomically: true, encoding: .utf8)
        // The plan as shipped, unmodified: `validate --offline` accepts it (a plan this binary
        // refuses would make every nightly Job exit 64), and --rbac derives the Roles from it.
        let validation = try await RotatorProcess.run(["validate", "--offline", "--config", directory + "/plan.yaml"], environment: [:], in: directory)
        #expect(validation.exitCode == 0, "\(validation.all)")
        let result = try await RotatorProcess.run(["plan", "--rbac", "--config", directory + "/plan.yaml"], environment: [:], in: directory)
        #expect(result.exitCode == 0, "\(result.all)")
        let printed = try Yams.load_all(yaml: result.stdout).compactMap { $0 as? Object }
        #expect(!printed.isEmpty)
        #expect(Self.roleSet(printed) == Self.roleSet(Self.objects("Role", in: documents)))
    }

    /// Roles as comparable values: namespace, name and rules, each list sorted.
    static func roleSet(_ roles: [Object]) -> Set<String> {
        Set(roles.map { role in
            let rules = (role["rules"] as? [Object] ?? []).map { rule in
                ["apiGroups", "resources", "resourceNames", "verbs"].map { "\($0)=\((rule[$0] as? [String] ?? []).sorted())" }.joined(separator: " ")
            }.sorted()
            return "\(Self.value(role, "metadata.namespace") ?? "-")/\(Self.value(role, "metadata.name") ?? "-"): \(rules)"
        })
    }

    static func plan(_ documents: [(file: String, object: Object)]) throws -> Object {
        let configMap = try #require(objects("ConfigMap", in: documents).first)
        let text = try #require((configMap["data"] as? Object)?["plan.yaml"] as? String, "the ConfigMap holds no plan.yaml")
        return try #require(try Yams.load(yaml: text) as? Object)
    }

    /// Every `file:/…` string anywhere in the plan, without the prefix.
    static func fileReferences(in node: Any) -> [String] {
        switch node {
        case let text as String: text.hasPrefix("file:/") ? [String(text.dropFirst("file:".count))] : []
        case let mapping as Object: mapping.values.flatMap(fileReferences)
        case let sequence as [Any]: sequence.flatMap(fileReferences)
        default: []
        }
    }
}
