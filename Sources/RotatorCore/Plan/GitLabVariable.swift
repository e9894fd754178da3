/// A GitLab CI/CD variable as the plan declares it:
/// `gitlab: { project: acme/api, variable: ENVSHED_TOKEN, environment_scope: production, masked: true, protected: true }`.
public struct GitLabVariable: Sendable, Hashable {
    /// Whose variable it is: a project's (Maintainer may write) or a group's (Owner may write).
    public enum Owner: Sendable, Hashable {
        /// Full path `group/project` (or a numeric id).
        case project(String)
        /// Full path `group` or `group/subgroup` (or a numeric id).
        case group(String)
    }

    public var owner: Owner
    /// The variable's key: `[A-Za-z0-9_]`, at most 255 characters.
    public var key: String
    /// `*` (the default) or an environment name or wildcard.
    public var environmentScope: String
    public var masked: Bool
    public var protected: Bool
    /// True unless the plan says otherwise: a token must never be expanded as `$VARIABLE`.
    public var raw: Bool
    /// `masked_and_hidden`: GitLab accepts it only when it creates the variable.
    public var hidden: Bool

    /// `project` or `group`, as GitLab's API paths name them (`/projects/:id`).
    var ownerKind: String {
        switch owner {
        case .project: "project"
        case .group: "group"
        }
    }

    /// The owner as the plan gives it: a path or a numeric id.
    var ownerReference: String {
        switch owner {
        case .project(let reference), .group(let reference): reference
        }
    }

    /// The owner is given as a numeric id, which only GitLab can match with a path.
    var isNumeric: Bool {
        !ownerReference.isEmpty && ownerReference.allSatisfy(\.isASCII) && ownerReference.allSatisfy(\.isNumber)
    }

    public init(owner: Owner, key: String, environmentScope: String, masked: Bool, protected: Bool, raw: Bool, hidden: Bool) {
        self.owner = owner
        self.key = key
        self.environmentScope = environmentScope
        self.masked = masked
        self.protected = protected
        self.raw = raw
        self.hidden = hidden
    }
}
