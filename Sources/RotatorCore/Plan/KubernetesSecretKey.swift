/// One key of a Kubernetes Secret as the plan declares it:
/// `kubernetes: { namespace: api, secret: envshed, key: ENVSHED_TOKEN, restart: deployment/api }`.
public struct KubernetesSecretKey: Sendable, Hashable {
    public var namespace: String
    /// The Secret's name (`metadata.name`).
    public var secret: String
    /// The key under `data`.
    public var key: String
    /// A Deployment in the same namespace to restart after the write, as `kubectl rollout restart`
    /// does, so that pods reading the token from an environment variable pick it up.
    public var restartDeployment: String?

    public init(namespace: String, secret: String, key: String, restartDeployment: String?) {
        self.namespace = namespace
        self.secret = secret
        self.key = key
        self.restartDeployment = restartDeployment
    }
}
