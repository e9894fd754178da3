/// One rule of a namespaced RBAC Role, as `KubernetesEmulator.enforceRBAC` checks requests
/// against it: the verb, API group and resource must be listed, and the object's name must be in
/// `resourceNames` unless that is empty (every name). Rules only add: a request no rule allows is
/// a 403 `Forbidden`. https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-resources
public struct KubernetesRoleRule: Sendable, Hashable {
    public var namespace: String
    /// `""` for the core group (Secrets), `apps` for Deployments.
    public var apiGroup: String
    public var resource: String
    public var resourceNames: Set<String>
    public var verbs: Set<String>

    public init(namespace: String, apiGroup: String, resource: String, resourceNames: Set<String>, verbs: Set<String>) {
        self.namespace = namespace
        self.apiGroup = apiGroup
        self.resource = resource
        self.resourceNames = resourceNames
        self.verbs = verbs
    }

    func allows(verb: String, apiGroup: String, resource: String, namespace: String, name: String) -> Bool {
        self.namespace == namespace && self.apiGroup == apiGroup && self.resource == resource && verbs.contains(verb)
            && (resourceNames.isEmpty || resourceNames.contains(name))
    }
}
