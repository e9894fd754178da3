/// One entry of a Secret's `metadata.managedFields` in the Kubernetes emulator: a manager, how it
/// wrote (`Apply` for server-side apply, `Update` for anything else: create, replace, merge
/// patch, client-side apply) and the `data` keys it owns. The API server keeps one entry per
/// manager and operation (https://kubernetes.io/docs/reference/using-api/server-side-apply/#managers).
public struct KubernetesManagedFieldsEntry: Sendable, Hashable {
    public enum Operation: String, Sendable, Hashable {
        case apply = "Apply"
        case update = "Update"
    }

    public var manager: String
    public var operation: Operation
    /// The keys under `data` this entry owns (`f:data` → `f:<key>` in `fieldsV1`).
    public var keys: Set<String>

    public init(manager: String, operation: Operation, keys: Set<String>) {
        self.manager = manager
        self.operation = operation
        self.keys = keys
    }

    /// How the API server names the manager in a conflict (`printManager` in apimachinery's
    /// managedfields): `"name"` for an applier, `"name" using v1` for an updater.
    var conflictName: String {
        switch operation {
        case .apply: "\"\(manager)\""
        case .update: "\"\(manager)\" using v1"
        }
    }

    var json: JSONValue {
        .object([
            "manager": .string(manager),
            "operation": .string(operation.rawValue),
            "apiVersion": .string("v1"),
            "fieldsType": .string("FieldsV1"),
            "fieldsV1": .object(["f:data": .object(Dictionary(uniqueKeysWithValues: keys.map { ("f:\($0)", JSONValue.object([:])) }))]),
        ])
    }
}
