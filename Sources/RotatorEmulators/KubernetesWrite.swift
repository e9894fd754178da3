import Foundation

/// One write (`PATCH`, `PUT`, `POST`, `DELETE`) the Kubernetes emulator received, accepted or not.
public struct KubernetesWrite: Sendable {
    public let method: String
    /// `secrets` or `deployments` (or whatever the path named).
    public let resource: String
    public let namespace: String
    public let name: String
    /// The `Content-Type` it came with.
    public let contentType: String?
    public let status: Int
    public let at: Date

    public var isAccepted: Bool { (200..<300).contains(status) }
}
