import Foundation
import RotatorEmulators
import Testing

/// The Kubernetes emulator's server-side apply, over real HTTP on loopback, against what
/// https://kubernetes.io/docs/reference/using-api/server-side-apply/ documents: field ownership per
/// manager, pruning, conflicts, force, shared ownership, and the `fieldManager` rules of
/// `PatchOptions`. The rotator's safety with several keys in one Secret depends on each of them.
@Suite("Kubernetes emulator: server-side apply field ownership as the API server documents it")
struct KubernetesApplyEmulatorTests {
    static let path = "/api/v1/namespaces/api/secrets/shared"

    /// One emulator on loopback with namespace `api` and Deployment `web`.
    static func withEmulator(_ body: (KubernetesEmulator, LoopbackClient) async throws -> Void) async throws {
        let emulator = KubernetesEmulator(acceptedTokens: [])
        emulator.addNamespace("api")
        emulator.addDeployment(namespace: "api", name: "web")
        let server = try await emulator.start()
        do {
            try await body(emulator, LoopbackClient(base: server.baseURL, headers: [:]))
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    /// Applies `data` (plain values, sent base64) to Secret `api/shared` as `manager`.
    static func apply(
        _ client: LoopbackClient, _ data: [String: String], manager: String?, force: Bool = false
    ) async throws -> LoopbackClient.Answer {
        var query: [String] = []
        if let manager { query.append("fieldManager=\(manager.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? manager)") }
        if force { query.append("force=true") }
        let object: [String: Any] = [
            "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "shared", "namespace": "api"],
            "data": data.mapValues { Data($0.utf8).base64EncodedString() },
        ]
        return try await client.send("PATCH", path + (query.isEmpty ? "" : "?" + query.joined(separator: "&")), json: object, contentType: "application/apply-patch+yaml")
    }

    static func value(_ emulator: KubernetesEmulator, _ key: String) -> String? {
        emulator.secretValue(namespace: "api", name: "shared", key: key)
    }

    static func owners(_ emulator: KubernetesEmulator, _ key: String) -> Set<String> {
        emulator.secret(namespace: "api", name: "shared")?.owners(of: key) ?? []
    }

    // "If you remove a field from a manifest and apply that manifest, Server-Side Apply checks if
    // there are any other field managers that also own the field. If the field is not owned by any
    // other field managers, it is either deleted from the live object or reset to its default value"
    // https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management
    @Test("prune: a key the manager applied before and leaves out now is deleted; one manager for two keys loses the first")
    func prune() async throws {
        try await Self.withEmulator { emulator, client async throws in
            #expect(try await Self.apply(client, ["A": "a1", "B": "b1"], manager: "m").status == 201)
            #expect(try await Self.apply(client, ["A": "a2"], manager: "m").status == 200)
            #expect(Self.value(emulator, "A") == "a2")
            #expect(Self.value(emulator, "B") == nil, "pruned: applied before by m, left out now, owned by no one else")

            // What one field manager for every target did: the apply of key C deletes key B.
            #expect(try await Self.apply(client, ["B": "b2"], manager: "envshed-rotator", force: true).status == 200)
            #expect(try await Self.apply(client, ["C": "c2"], manager: "envshed-rotator", force: true).status == 200)
            #expect(Self.value(emulator, "B") == nil, "the rotation that wrote C deleted the key of the rotation that wrote B")
            #expect(try await Self.apply(client, [:], manager: "m").status == 200)
            #expect(Self.value(emulator, "A") == nil)
            #expect(Self.value(emulator, "C") == "c2", "owned by envshed-rotator")

            let read = try await client.send("GET", Self.path)
            let managed = try #require((read.object["metadata"] as? [String: Any])?["managedFields"] as? [[String: Any]])
            #expect(managed.count == 1)
            #expect(managed.first?["manager"] as? String == "envshed-rotator" && managed.first?["operation"] as? String == "Apply")
            #expect(((managed.first?["fieldsV1"] as? [String: Any])?["f:data"] as? [String: Any])?.keys.sorted() == ["f:C"])
        }
    }

    // "If two or more appliers set a field to the same value, they share ownership of that field.
    // Any subsequent attempt to change the value of the shared field, by any of the appliers,
    // results in a conflict. Shared field owners may give up ownership of a specific field by
    // making a Server-Side Apply patch request that doesn't include that field."
    // https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management
    @Test("shared ownership: the same value applied by two managers is no conflict; the key survives until both leave it out")
    func sharedOwnership() async throws {
        try await Self.withEmulator { emulator, client async throws in
            #expect(try await Self.apply(client, ["K": "same"], manager: "first").status == 201)
            #expect(try await Self.apply(client, ["K": "same"], manager: "second").status == 200, "same value: no conflict")
            #expect(Self.owners(emulator, "K") == ["first", "second"])
            #expect(try await Self.apply(client, ["K": "changed"], manager: "first").status == 409, "a co-owner cannot change it alone")
            #expect(try await Self.apply(client, [:], manager: "first").status == 200)
            #expect(Self.value(emulator, "K") == "same", "second still owns it")
            #expect(Self.owners(emulator, "K") == ["second"])
            #expect(try await Self.apply(client, [:], manager: "second").status == 200)
            #expect(Self.value(emulator, "K") == nil, "no owner left: pruned")
        }
    }

    // "When trying to apply an object, fields that have a different value and are owned by another
    // manager will result in a conflict." Status 409, reason Conflict, one FieldManagerConflict
    // cause per field. https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts
    @Test("conflict: changing a key another manager owns answers 409 Conflict naming the manager, and changes nothing")
    func conflict() async throws {
        try await Self.withEmulator { emulator, client async throws in
            #expect(try await Self.apply(client, ["K": "v1"], manager: "owner").status == 201)
            let version = emulator.secret(namespace: "api", name: "shared")?.resourceVersion
            let refused = try await Self.apply(client, ["K": "v2"], manager: "intruder")
            #expect(refused.status == 409)
            #expect(refused.object["kind"] as? String == "Status" && refused.object["reason"] as? String == "Conflict")
            #expect(refused.object["message"] as? String == "Apply failed with 1 conflict: conflict with \"owner\": .data.K")
            let causes = try #require((refused.object["details"] as? [String: Any])?["causes"] as? [[String: Any]])
            #expect(causes.count == 1 && causes.first?["reason"] as? String == "FieldManagerConflict" && causes.first?["field"] as? String == ".data.K")
            #expect(Self.value(emulator, "K") == "v1" && Self.owners(emulator, "K") == ["owner"])
            #expect(emulator.secret(namespace: "api", name: "shared")?.resourceVersion == version)

            // A Secret made by `kubectl apply` (client-side: an Update) conflicts too, "using v1".
            emulator.addSecret(namespace: "api", name: "shared", data: ["X": "x", "Y": "y"])
            let two = try await Self.apply(client, ["X": "x2", "Y": "y2"], manager: "intruder")
            #expect(two.status == 409)
            #expect(two.object["message"] as? String == "Apply failed with 2 conflicts: conflicts with \"kubectl-client-side-apply\" using v1:\n- .data.X\n- .data.Y")
        }
    }

    // "Writes to objects with managed fields can be forced, in which case the value of any conflicted
    // field will be overridden, and the ownership will be transferred."
    // https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management
    @Test("force: takes over only the conflicting key; the previous owner keeps its other keys, nothing is pruned")
    func force() async throws {
        try await Self.withEmulator { emulator, client async throws in
            emulator.addSecret(namespace: "api", name: "shared", data: ["A": "a", "B": "b"], manager: "envshed-rotator", operation: .apply)
            #expect(try await Self.apply(client, ["A": "a2"], manager: "envshed-rotator/A", force: true).status == 200)
            #expect(Self.value(emulator, "A") == "a2" && Self.value(emulator, "B") == "b", "force prunes nothing")
            #expect(Self.owners(emulator, "A") == ["envshed-rotator/A"])
            #expect(Self.owners(emulator, "B") == ["envshed-rotator"])
            #expect(try await Self.apply(client, ["B": "b2"], manager: "envshed-rotator/B", force: true).status == 200)
            #expect(emulator.secret(namespace: "api", name: "shared")?.managedFields.map(\.manager) == ["envshed-rotator/A", "envshed-rotator/B"], "an emptied entry is dropped")
            // The old manager no longer owns anything: its next apply of nothing deletes nothing.
            #expect(try await Self.apply(client, [:], manager: "envshed-rotator").status == 200)
            #expect(Self.value(emulator, "A") == "a2" && Self.value(emulator, "B") == "b2")
        }
    }

    // PatchOptions validation (apimachinery `ValidatePatchOptions`, answered 422 Invalid):
    // "fieldManager is required for apply requests"; at most 128 bytes, printable; force only on apply.
    // https://kubernetes.io/docs/reference/using-api/server-side-apply/#using-server-side-apply-in-a-controller
    // https://kubernetes.io/docs/reference/kubernetes-api/common-parameters/common-parameters/#fieldmanager
    @Test("fieldManager: required for apply, at most 128 bytes, force only on apply (422 Invalid)")
    func fieldManagerRules() async throws {
        try await Self.withEmulator { emulator, client async throws in
            let missing = try await Self.apply(client, ["K": "v"], manager: nil)
            #expect(missing.status == 422 && missing.object["reason"] as? String == "Invalid")
            #expect((missing.object["message"] as? String)?.contains("fieldManager: Required value: is required for apply patch") == true)
            let tooLong = try await Self.apply(client, ["K": "v"], manager: String(repeating: "m", count: 129))
            #expect(tooLong.status == 422 && (tooLong.object["message"] as? String)?.contains("fieldManager: Too long") == true)
            #expect(emulator.secret(namespace: "api", name: "shared") == nil)
            #expect(try await Self.apply(client, ["K": "v"], manager: String(repeating: "m", count: 128)).status == 201)
            let restart: [String: Any] = ["spec": ["template": ["metadata": ["annotations": ["kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"]]]]]
            let forced = try await client.send("PATCH", "/apis/apps/v1/namespaces/api/deployments/web?fieldManager=m&force=true", json: restart, contentType: "application/strategic-merge-patch+json")
            #expect(forced.status == 422 && (forced.object["message"] as? String)?.contains("force: Forbidden") == true)
        }
    }
}
