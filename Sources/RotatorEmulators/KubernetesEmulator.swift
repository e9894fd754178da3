import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// A loopback emulator of the Kubernetes API for what the rotator touches: Secrets (server-side
/// apply, read) and Deployments (the restart patch, read).
///
/// It is as strict as the API server where the rotator could go wrong: bearer auth (401 `Status`),
/// apply only with `Content-Type: application/apply-patch+yaml` (415 otherwise) and a
/// `fieldManager` of at most 128 printable bytes (422 otherwise), `force` only on apply (422),
/// `data` values that must be base64, and — stricter than a real cluster, on purpose —
/// `stringData` refused with a 422 explaining that the bot must use `data` (apply does not prune
/// `stringData` keys). Apply creates a missing Secret (201) and updates an existing one (200)
/// with server-side apply's field ownership of the `data` keys, as documented in
/// https://kubernetes.io/docs/reference/using-api/server-side-apply/: `metadata.managedFields`
/// per manager and operation; a key a manager applied before and leaves out now is removed
/// unless another manager owns it (pruning); changing a key another manager owns is a 409
/// `Conflict` naming that manager unless `force=true`, which takes the key over; applying the
/// value a key already has makes the manager a co-owner. Immutable Secrets refuse changes; every
/// change bumps `resourceVersion`. Apply bodies are read as JSON (valid YAML).
///
/// With `enforceRBAC`, requests are authorized as RBAC does: a 403 `Forbidden` unless a rule
/// grants the verb on the named object (https://kubernetes.io/docs/reference/access-authn-authz/rbac/);
/// an apply that creates a missing Secret needs `create` as well as `patch`, with the Secret's
/// name, as the API server's patch handler authorizes it (`createAuthorizerAttributes` in
/// kubernetes/kubernetes `staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go`).
/// `acceptTokens` replaces the accepted bearer tokens, as the kubelet's rotation of a projected
/// service-account token and the old token's expiry do.
public final class KubernetesEmulator: ControllableEmulator {
    /// A Secret as stored: decoded values, who owns which key.
    public struct StoredSecret: Sendable {
        public var data: [String: Data]
        /// Sorted by manager, then operation; no entry is empty.
        public var managedFields: [KubernetesManagedFieldsEntry]
        public var immutable: Bool
        public var resourceVersion: Int

        /// The managers that own `data.<key>`, whatever their operation.
        public func owners(of key: String) -> Set<String> {
            Set(managedFields.filter { $0.keys.contains(key) }.map(\.manager))
        }
    }

    /// A Deployment as stored: what a restart changes, and the rollout it starts. The controller
    /// is played by the reads: each GET moves the rollout one step (the generation observed, then
    /// one pod replaced per read), unless the rollout is stalled (pods that never become ready).
    public struct StoredDeployment: Sendable {
        public var templateAnnotations: [String: String]
        public var generation: Int
        public var resourceVersion: Int
        public var replicas = 2
        public var observedGeneration = 1
        public var updatedReplicas = 2
        public var stalled = false

        /// One step of the Deployment controller, as the next read sees it.
        mutating func advanceRollout() {
            guard !stalled else { return }
            if observedGeneration < generation {
                observedGeneration = generation
                updatedReplicas = 0
            } else if updatedReplicas < replicas {
                updatedReplicas += 1
            }
        }
    }

    private struct State {
        var namespaces: Set<String> = []
        var secrets: [String: StoredSecret] = [:]
        var deployments: [String: StoredDeployment] = [:]
        var resourceVersion = 1000
        var writes: [KubernetesWrite] = []
    }

    private static let applyContentType = "application/apply-patch+yaml"
    /// `FieldManagerMaxLength` of apimachinery's `PatchOptions` validation, in bytes.
    public static let fieldManagerMaxLength = 128
    private static let mergeContentTypes = ["application/strategic-merge-patch+json", "application/merge-patch+json"]

    private let acceptedTokens: Mutex<Set<String>>
    /// nil: every authenticated request is allowed.
    private let roleRules = Mutex<[KubernetesRoleRule]?>(nil)
    private let state = Mutex(State())
    public let harness = EmulatorHarness()

    /// - Parameter acceptedTokens: bearer tokens that authenticate; an empty set accepts requests
    ///   with no `Authorization` at all, as a `kubectl proxy` does.
    public init(acceptedTokens: Set<String>) {
        self.acceptedTokens = Mutex(acceptedTokens)
    }

    /// From now on only `tokens` authenticate (an empty set: no `Authorization` needed).
    public func acceptTokens(_ tokens: Set<String>) {
        acceptedTokens.withLock { $0 = tokens }
    }

    /// From now on a request is allowed only if one of `rules` grants it.
    public func enforceRBAC(_ rules: [KubernetesRoleRule]) {
        roleRules.withLock { $0 = rules }
    }

    // MARK: - Set-up

    public func addNamespace(_ name: String) {
        _ = state.withLock { $0.namespaces.insert(name) }
    }

    /// Seeds a Secret whose keys are all owned by `manager`: by default as `kubectl apply`
    /// (client-side) leaves it; `.apply` seeds what an earlier server-side apply left.
    public func addSecret(
        namespace: String, name: String, data: [String: String], immutable: Bool = false,
        manager: String = "kubectl-client-side-apply", operation: KubernetesManagedFieldsEntry.Operation = .update
    ) {
        state.withLock { state in
            state.namespaces.insert(namespace)
            state.resourceVersion += 1
            state.secrets["\(namespace)/\(name)"] = StoredSecret(
                data: data.mapValues { Data($0.utf8) },
                managedFields: data.isEmpty ? [] : [KubernetesManagedFieldsEntry(manager: manager, operation: operation, keys: Set(data.keys))],
                immutable: immutable, resourceVersion: state.resourceVersion
            )
        }
    }

    /// New pods of `namespace/name` never become ready: a rollout started now never completes.
    public func stallRollouts(namespace: String, name: String) {
        state.withLock { $0.deployments["\(namespace)/\(name)"]?.stalled = true }
    }

    public func addDeployment(namespace: String, name: String) {
        state.withLock { state in
            state.namespaces.insert(namespace)
            state.resourceVersion += 1
            state.deployments["\(namespace)/\(name)"] = StoredDeployment(templateAnnotations: [:], generation: 1, resourceVersion: state.resourceVersion)
        }
    }

    public func start() async throws -> EmulatorServer {
        try await EmulatorServer.start(
            name: "kubernetes",
            responder: EmulatorResponder { [self] request in
                await self.respond(to: request)
            }
        )
    }

    // MARK: - Inspection

    public func secret(namespace: String, name: String) -> StoredSecret? {
        state.withLock { $0.secrets["\(namespace)/\(name)"] }
    }

    /// One key of a Secret, decoded from base64 as the cluster holds it, as UTF-8 text.
    public func secretValue(namespace: String, name: String, key: String) -> String? {
        secret(namespace: namespace, name: name)?.data[key].map { String(decoding: $0, as: UTF8.self) }
    }

    public func deployment(namespace: String, name: String) -> StoredDeployment? {
        state.withLock { $0.deployments["\(namespace)/\(name)"] }
    }

    public var writes: [KubernetesWrite] {
        state.withLock { $0.writes }
    }

    // MARK: - Request handling

    private enum Route {
        case secret(namespace: String, name: String)
        case deployment(namespace: String, name: String)

        var resource: String {
            switch self {
            case .secret: "secrets"
            case .deployment: "deployments"
            }
        }

        var address: (namespace: String, name: String) {
            switch self {
            case .secret(let namespace, let name), .deployment(let namespace, let name): (namespace, name)
            }
        }
    }

    private func respond(to request: Request) async -> Response {
        let method = request.method.rawValue
        let rawPath = request.uri.path
        let route = RequestPath(raw: rawPath).flatMap(Self.route)
        let interception = await harness.controls.intercept(method: method, path: rawPath, faults: harness.faults)
        guard case .proceed(let fault, let afterHandling) = interception else {
            harness.recorder.record(method: method, path: rawPath, query: request.uri.query, status: 0)
            if case .dropped(let response) = interception { return response }
            return Response(status: .internalServerError)
        }
        let reply: JSONResponse
        if let fault {
            var faulted = fault.body.map { JSONResponse(status: fault.status, rawBody: $0) }
                ?? Self.status(fault.status, reason: Self.reason(for: fault.status), HTTPReasonPhrase.phrase(for: fault.status)).response
            for (name, value) in fault.headers.sorted(by: { $0.key < $1.key }) { faulted.setHeader(name, value) }
            reply = faulted
        } else {
            do {
                try authenticate(request)
                reply = try await handle(request, method: method, route: route)
            } catch {
                reply = error.response
            }
        }
        harness.recorder.record(method: method, path: rawPath, query: request.uri.query, status: reply.status)
        if method != "GET", let route {
            let write = KubernetesWrite(
                method: method, resource: route.resource, namespace: route.address.namespace, name: route.address.name,
                contentType: request.headers[.contentType], status: reply.status, at: Date()
            )
            state.withLock { $0.writes.append(write) }
        }
        return harness.controls.finish(
            reply.makeResponse(contentType: "application/json"), method: method, path: rawPath, status: reply.status,
            afterHandling: afterHandling
        )
    }

    private static func route(_ path: RequestPath) -> Route? {
        if let values = path.captures("api/v1/namespaces/{namespace}/secrets/{name}") {
            return .secret(namespace: values[0], name: values[1])
        }
        if let values = path.captures("apis/apps/v1/namespaces/{namespace}/deployments/{name}") {
            return .deployment(namespace: values[0], name: values[1])
        }
        return nil
    }

    private func authenticate(_ request: Request) throws(EmulatorRejection) {
        let acceptedTokens = acceptedTokens.withLock { $0 }
        guard let authorization = request.headers[.authorization] else {
            if acceptedTokens.isEmpty { return }
            throw Self.status(401, reason: "Unauthorized", "Unauthorized")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", acceptedTokens.contains(String(parts[1])) else {
            throw Self.status(401, reason: "Unauthorized", "Unauthorized")
        }
    }

    /// RBAC, when enforced: the verbs this request needs on its object, each granted by some rule.
    private func authorize(method: String, route: Route?) throws(EmulatorRejection) {
        guard let rules = roleRules.withLock({ $0 }), let route else { return }
        let (namespace, name) = route.address
        let (apiGroup, resource, kind): (String, String, String) = switch route {
        case .secret: ("", "secrets", "secrets")
        case .deployment: ("apps", "deployments", "deployments.apps")
        }
        var verbs: [String]
        switch method {
        case "GET": verbs = ["get"]
        case "PATCH": verbs = ["patch"]
        default: verbs = [method.lowercased()]
        }
        if method == "PATCH", case .secret = route, secret(namespace: namespace, name: name) == nil {
            verbs.append("create")
        }
        for verb in verbs where !rules.contains(where: { $0.allows(verb: verb, apiGroup: apiGroup, resource: resource, namespace: namespace, name: name) }) {
            throw Self.status(
                403, reason: "Forbidden",
                "\(kind) \"\(name)\" is forbidden: User \"system:serviceaccount:envshed-rotator:envshed-rotator\" cannot \(verb) resource \"\(resource)\" in API group \"\(apiGroup)\" in the namespace \"\(namespace)\""
            )
        }
    }

    private func handle(_ request: Request, method: String, route: Route?) async throws(EmulatorRejection) -> JSONResponse {
        try authorize(method: method, route: route)
        let query = QueryString.parameters(request.uri.query)
        switch (method, route) {
        case ("GET", .secret(let namespace, let name)?):
            return try readSecret(namespace: namespace, name: name)
        case ("PATCH", .secret(let namespace, let name)?):
            return try await applySecret(request, namespace: namespace, name: name, query: query)
        case ("GET", .deployment(let namespace, let name)?):
            return try readDeployment(namespace: namespace, name: name)
        case ("PATCH", .deployment(let namespace, let name)?):
            return try await patchDeployment(request, namespace: namespace, name: name, query: query)
        case (_, _?):
            throw Self.status(405, reason: "MethodNotAllowed", "the server does not allow this method on the requested resource")
        case (_, nil):
            throw Self.status(404, reason: "NotFound", "the server could not find the requested resource")
        }
    }

    /// `PATCH …/secrets/{name}` with `application/apply-patch+yaml`: server-side apply.
    private func applySecret(_ request: Request, namespace: String, name: String, query: [String: String]) async throws(EmulatorRejection)
        -> JSONResponse
    {
        let contentType = request.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard contentType == Self.applyContentType else {
            throw Self.status(
                415, reason: "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: application/apply-patch+yaml (this emulator accepts only server-side apply for Secrets)"
            )
        }
        let manager = try Self.validFieldManager(query, apply: true)
        let force = query["force"] == "true"
        let object = try await Self.jsonObjectBody(of: request)
        guard object["apiVersion"]?.stringValue == "v1", object["kind"]?.stringValue == "Secret" else {
            throw Self.status(400, reason: "BadRequest", "apply expects apiVersion v1, kind Secret")
        }
        guard case .object(let metadata)? = object["metadata"], metadata["name"]?.stringValue == name else {
            throw Self.status(400, reason: "BadRequest", "the name of the object (\(object["metadata"]?.summary ?? "none")) does not match the name on the URL (\(name))")
        }
        if let bodyNamespace = metadata["namespace"]?.stringValue, bodyNamespace != namespace {
            throw Self.status(400, reason: "BadRequest", "the namespace of the provided object does not match the namespace sent on the request")
        }
        if object["stringData"] != nil {
            throw Self.status(
                422, reason: "Invalid",
                "Secret \"\(name)\" is invalid: stringData: Forbidden: this cluster (emulator) refuses stringData in server-side apply: keys removed from stringData are never pruned; send base64 values in data"
            )
        }
        var values: [String: Data] = [:]
        if case .object(let data)? = object["data"] {
            for (key, value) in data {
                guard let text = value.stringValue, let decoded = Data(base64Encoded: text) else {
                    throw Self.status(422, reason: "Invalid", "Secret \"\(name)\" is invalid: data[\(key)]: Invalid value: illegal base64 data")
                }
                values[key] = decoded
            }
        }
        let (created, stored) = try state.withLock { (state: inout State) throws(EmulatorRejection) -> (Bool, StoredSecret) in
            guard state.namespaces.contains(namespace) else {
                throw Self.status(404, reason: "NotFound", "namespaces \"\(namespace)\" not found")
            }
            let id = "\(namespace)/\(name)"
            let created = state.secrets[id] == nil
            let before = state.secrets[id] ?? StoredSecret(data: [:], managedFields: [], immutable: false, resourceVersion: 0)
            let after = try Self.apply(values, by: manager, force: force, to: before)
            if before.immutable, after.data != before.data {
                throw Self.status(422, reason: "Invalid", "Secret \"\(name)\" is invalid: data: Forbidden: field is immutable when `immutable` is set")
            }
            var stored = after
            if created || after.data != before.data || after.managedFields != before.managedFields {
                state.resourceVersion += 1
                stored.resourceVersion = state.resourceVersion
            }
            state.secrets[id] = stored
            return (created, stored)
        }
        return JSONResponse(status: created ? 201 : 200, json: Self.json(secret: stored, namespace: namespace, name: name))
    }

    /// Server-side apply of `values` (the whole of `data` the manager wants) to `secret`: conflicts,
    /// force, shared ownership and pruning as in
    /// https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts and
    /// https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management.
    private static func apply(
        _ values: [String: Data], by manager: String, force: Bool, to secret: StoredSecret
    ) throws(EmulatorRejection) -> StoredSecret {
        let isApplier = { (entry: KubernetesManagedFieldsEntry) in entry.manager == manager && entry.operation == .apply }
        // A conflict is a change to a field that another manager owns; applying the value the
        // field already has is not a change, and makes the applier a co-owner.
        let changed = Set(values.filter { secret.data[$0.key] != $0.value }.keys)
        var conflicts: [(entry: KubernetesManagedFieldsEntry, key: String)] = []
        for entry in secret.managedFields where !isApplier(entry) {
            for key in entry.keys.intersection(changed).sorted() { conflicts.append((entry, key)) }
        }
        if !conflicts.isEmpty, !force {
            throw conflict(conflicts)
        }
        var result = secret
        result.managedFields = secret.managedFields.map { entry in
            var entry = entry
            // Force moves only the conflicting fields to the applier.
            if !isApplier(entry) { entry.keys.subtract(conflicts.filter { $0.entry == entry }.map(\.key)) }
            return entry
        }
        let previous = secret.managedFields.first(where: isApplier)?.keys ?? []
        result.managedFields.removeAll(where: isApplier)
        let ownedByOthers = result.managedFields.reduce(into: Set<String>()) { $0.formUnion($1.keys) }
        for key in previous.subtracting(values.keys) where !ownedByOthers.contains(key) {
            result.data[key] = nil
        }
        for (key, value) in values { result.data[key] = value }
        result.managedFields.append(KubernetesManagedFieldsEntry(manager: manager, operation: .apply, keys: Set(values.keys)))
        result.managedFields.removeAll { $0.keys.isEmpty }
        result.managedFields.sort { ($0.manager, $0.operation.rawValue) < ($1.manager, $1.operation.rawValue) }
        return result
    }

    /// The API server's apply conflict (`NewConflictError` in apimachinery's managedfields): 409,
    /// reason `Conflict`, one `FieldManagerConflict` cause per field.
    private static func conflict(_ conflicts: [(entry: KubernetesManagedFieldsEntry, key: String)]) -> EmulatorRejection {
        let message: String
        if conflicts.count == 1 {
            message = "Apply failed with 1 conflict: conflict with \(conflicts[0].entry.conflictName): .data.\(conflicts[0].key)"
        } else {
            let byManager = Dictionary(grouping: conflicts, by: \.entry.conflictName)
            let lines = byManager.keys.sorted().flatMap { manager in
                ["conflicts with \(manager):"] + (byManager[manager] ?? []).map { "- .data.\($0.key)" }
            }
            message = "Apply failed with \(conflicts.count) conflicts: " + lines.joined(separator: "\n")
        }
        let causes = conflicts.map { conflict in
            JSONValue.object([
                "reason": .string("FieldManagerConflict"),
                "message": .string("conflict with \(conflict.entry.conflictName)"),
                "field": .string(".data.\(conflict.key)"),
            ])
        }
        return EmulatorRejection(response: JSONResponse(status: 409, json: .object([
            "kind": .string("Status"),
            "apiVersion": .string("v1"),
            "metadata": .object([:]),
            "status": .string("Failure"),
            "message": .string(message),
            "reason": .string("Conflict"),
            "details": .object(["causes": .array(causes)]),
            "code": .integer(409),
        ])))
    }

    /// `ValidatePatchOptions` of apimachinery: a manager is required for apply, at most 128
    /// bytes, printable; `force` only on apply. Answered 422 `Invalid`, as the API server does.
    private static func validFieldManager(_ query: [String: String], apply: Bool) throws(EmulatorRejection) -> String {
        let manager = query["fieldManager"] ?? ""
        var problems: [String] = []
        if apply, manager.isEmpty {
            problems.append("fieldManager: Required value: is required for apply patch")
        }
        if !apply, query["force"] != nil {
            problems.append("force: Forbidden: may not be specified for non-apply patch")
        }
        if manager.utf8.count > fieldManagerMaxLength {
            problems.append("fieldManager: Too long: may not be more than \(fieldManagerMaxLength) bytes")
        }
        if let bad = manager.unicodeScalars.first(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }) {
            problems.append("fieldManager: Invalid value: invalid character U+\(String(bad.value, radix: 16, uppercase: true))")
        }
        guard problems.isEmpty else {
            throw status(422, reason: "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: " + problems.joined(separator: ", "))
        }
        return manager
    }

    private func readSecret(namespace: String, name: String) throws(EmulatorRejection) -> JSONResponse {
        guard let secret = secret(namespace: namespace, name: name) else {
            throw Self.status(404, reason: "NotFound", "secrets \"\(name)\" not found")
        }
        return JSONResponse(status: 200, json: Self.json(secret: secret, namespace: namespace, name: name))
    }

    /// `PATCH …/deployments/{name}` with a strategic-merge or JSON merge patch: only the pod
    /// template's annotations are merged (what a rollout restart changes).
    private func patchDeployment(_ request: Request, namespace: String, name: String, query: [String: String]) async throws(EmulatorRejection)
        -> JSONResponse
    {
        let contentType = request.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let contentType, Self.mergeContentTypes.contains(contentType) else {
            throw Self.status(415, reason: "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: \(Self.mergeContentTypes.joined(separator: ", "))")
        }
        _ = try Self.validFieldManager(query, apply: false)
        let patch = try await Self.jsonObjectBody(of: request)
        var annotations: [String: String] = [:]
        if case .object(let spec)? = patch["spec"], case .object(let template)? = spec["template"],
           case .object(let metadata)? = template["metadata"], case .object(let given)? = metadata["annotations"] {
            for (key, value) in given {
                guard let text = value.stringValue else {
                    throw Self.status(422, reason: "Invalid", "annotations[\(key)]: must be a string")
                }
                annotations[key] = text
            }
        }
        let stored = try state.withLock { (state: inout State) throws(EmulatorRejection) -> StoredDeployment in
            let id = "\(namespace)/\(name)"
            guard var deployment = state.deployments[id] else {
                throw Self.status(404, reason: "NotFound", "deployments.apps \"\(name)\" not found")
            }
            if !annotations.isEmpty, annotations.contains(where: { deployment.templateAnnotations[$0.key] != $0.value }) {
                deployment.templateAnnotations.merge(annotations) { _, new in new }
                deployment.generation += 1
                state.resourceVersion += 1
                deployment.resourceVersion = state.resourceVersion
            }
            state.deployments[id] = deployment
            return deployment
        }
        return JSONResponse(status: 200, json: Self.json(deployment: stored, namespace: namespace, name: name))
    }

    private func readDeployment(namespace: String, name: String) throws(EmulatorRejection) -> JSONResponse {
        let read = state.withLock { state -> StoredDeployment? in
            state.deployments["\(namespace)/\(name)"]?.advanceRollout()
            return state.deployments["\(namespace)/\(name)"]
        }
        guard let deployment = read else {
            throw Self.status(404, reason: "NotFound", "deployments.apps \"\(name)\" not found")
        }
        return JSONResponse(status: 200, json: Self.json(deployment: deployment, namespace: namespace, name: name))
    }

    // MARK: - Helpers

    private static func json(secret: StoredSecret, namespace: String, name: String) -> JSONValue {
        .object([
            "apiVersion": .string("v1"),
            "kind": .string("Secret"),
            "type": .string("Opaque"),
            "immutable": .bool(secret.immutable),
            "metadata": .object([
                "name": .string(name),
                "namespace": .string(namespace),
                "resourceVersion": .string(String(secret.resourceVersion)),
                "managedFields": .array(secret.managedFields.map(\.json)),
            ]),
            "data": .object(secret.data.mapValues { .string($0.base64EncodedString()) }),
        ])
    }

    private static func json(deployment: StoredDeployment, namespace: String, name: String) -> JSONValue {
        .object([
            "apiVersion": .string("apps/v1"),
            "kind": .string("Deployment"),
            "metadata": .object([
                "name": .string(name),
                "namespace": .string(namespace),
                "generation": .integer(deployment.generation),
                "resourceVersion": .string(String(deployment.resourceVersion)),
            ]),
            "spec": .object([
                "replicas": .integer(deployment.replicas),
                "template": .object(["metadata": .object(["annotations": .object(deployment.templateAnnotations.mapValues(JSONValue.string))])]),
            ]),
            // https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#deployment-status
            // Old pods still count in `replicas` until replaced; new ones are available once ready.
            "status": .object([
                "observedGeneration": .integer(deployment.observedGeneration),
                "replicas": .integer(deployment.replicas),
                "updatedReplicas": .integer(deployment.updatedReplicas),
                "availableReplicas": .integer(deployment.stalled ? deployment.replicas - 1 : deployment.replicas),
                "readyReplicas": .integer(deployment.stalled ? deployment.replicas - 1 : deployment.replicas),
            ]),
        ])
    }

    private static func jsonObjectBody(of request: Request) async throws(EmulatorRejection) -> [String: JSONValue] {
        do {
            return try await request.jsonObjectBody()
        } catch {
            switch error {
            case .tooLarge: throw status(413, reason: "RequestEntityTooLarge", "the request body is too large")
            case .notJSON, .notObject:
                throw status(400, reason: "BadRequest", "error decoding the body: this emulator reads apply bodies as JSON objects")
            }
        }
    }

    private static func reason(for status: Int) -> String {
        HTTPReasonPhrase.phrase(for: status).replacingOccurrences(of: " ", with: "")
    }

    /// The API server's error body: a `Status` object.
    private static func status(_ code: Int, reason: String, _ message: String) -> EmulatorRejection {
        EmulatorRejection(response: JSONResponse(status: code, json: .object([
            "kind": .string("Status"),
            "apiVersion": .string("v1"),
            "metadata": .object([:]),
            "status": .string("Failure"),
            "message": .string(message),
            "reason": .string(reason),
            "code": .integer(code),
        ])))
    }
}
