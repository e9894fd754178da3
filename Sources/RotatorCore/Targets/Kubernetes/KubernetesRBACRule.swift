/// One RBAC `PolicyRule` of a namespaced Role: verbs on the named objects of one resource.
/// `resourceNames` is always set: a rule without it would grant the verbs on every Secret of the
/// namespace. https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-resources
public struct KubernetesRBACRule: Sendable, Hashable {
    /// `""` for the core group (Secrets), `apps` for Deployments.
    public var apiGroup: String
    public var resource: String
    /// Sorted, no duplicates.
    public var resourceNames: [String]
    /// Sorted, no duplicates.
    public var verbs: [String]

    public init(apiGroup: String, resource: String, resourceNames: [String], verbs: [String]) {
        self.apiGroup = apiGroup
        self.resource = resource
        self.resourceNames = Array(Set(resourceNames)).sorted()
        self.verbs = Array(Set(verbs)).sorted()
    }
}
