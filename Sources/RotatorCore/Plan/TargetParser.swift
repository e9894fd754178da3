import Foundation
import Yams

/// Parses the value of one target (`github: {…}`, `gitlab: {…}`, `kubernetes: {…}`, `file: {…}`)
/// and checks offline what each provider would refuse, so that `validate` catches it with line
/// and column instead of the middle of a rotation.
struct TargetParser {
    var reader: YAMLReader
    /// `rotation 'api'.targets[0].gitlab`: prefixes every message.
    let path: String
    let location: SourceLocation

    // MARK: - GitHub

    mutating func github(_ node: Node) -> Target? {
        let allowed = ["repo", "environment", "secret", "org", "visibility", "repos"]
        guard let fields = reader.mapping(node, path: path, allowed: allowed) else { return nil }
        if fields.has("org") { return githubOrganization(fields) }
        for key in ["visibility", "repos"] where fields.has(key) {
            if let keyNode = fields.values[key]?.key {
                reader.error(keyNode, "\(path).\(key): only organization secrets (org:) have \(key)")
            }
        }
        let repository = reader.string(fields, "repo", required: true)
        let environment = reader.string(fields, "environment")
        let secret = githubSecretName(fields)
        if let repository, !PlanParser.isRepositoryName(repository), let repoNode = fields.node("repo") {
            reader.error(repoNode, "\(path).repo: expected OWNER/NAME, got '\(repository)'")
        }
        guard let repository, let secret else { return nil }
        if let environment {
            return Target(kind: .githubEnvironment(repository: repository, environment: environment, secret: secret), location: location)
        }
        return Target(kind: .githubRepository(repository: repository, secret: secret), location: location)
    }

    private mutating func githubOrganization(_ fields: Fields) -> Target? {
        for key in ["repo", "environment"] where fields.has(key) {
            if let keyNode = fields.values[key]?.key {
                reader.error(keyNode, "\(path): an organization secret (org:) has no \(key); use repos: with visibility: selected to choose who may read it")
            }
        }
        let org = reader.string(fields, "org", required: true)
        if let org, !Self.isGitHubOwner(org), let orgNode = fields.node("org") {
            reader.error(orgNode, "\(path).org: '\(org)' is not a GitHub organization name (letters, digits and single dashes)")
        }
        let secret = githubSecretName(fields)
        var visibility: GitHubOrganizationSecret.Visibility?
        if let text = reader.string(fields, "visibility", required: false) {
            visibility = GitHubOrganizationSecret.Visibility(rawValue: text)
            if visibility == nil, let visibilityNode = fields.node("visibility") {
                reader.error(visibilityNode, "\(path).visibility: '\(text)' is not one of all, private, selected")
            }
        } else if !fields.has("visibility") {
            reader.error(
                fields.owner,
                "\(path): an organization secret needs visibility (all, private or selected): GitHub requires it on every write, and the bot will not guess who may read the token"
            )
        }
        let repositories = reader.stringList(fields, "repos")
        if let repositories, let reposNode = fields.node("repos") {
            if visibility != nil && visibility != .selected {
                reader.error(reposNode, "\(path).repos: only visibility: selected takes a list of repositories; visibility is \(visibility?.rawValue ?? "")")
            } else if repositories.isEmpty {
                reader.error(reposNode, "\(path).repos: visibility: selected needs at least one repository")
            }
            for repository in repositories {
                if !PlanParser.isRepositoryName(repository) {
                    reader.error(reposNode, "\(path).repos: expected OWNER/NAME, got '\(repository)'")
                } else if let org, repository.split(separator: "/").first.map(String.init)?.lowercased() != org.lowercased() {
                    reader.error(reposNode, "\(path).repos: '\(repository)' is not a repository of the organization '\(org)'")
                }
            }
        } else if visibility == .selected, let visibilityNode = fields.node("visibility") {
            reader.error(visibilityNode, "\(path): visibility: selected needs repos: [OWNER/NAME, …], the repositories that may read the secret")
        }
        guard let org, let secret, let visibility else { return nil }
        let secretSpec = GitHubOrganizationSecret(org: org, secret: secret, visibility: visibility, repositories: repositories ?? [])
        return Target(kind: .githubOrganization(secretSpec), location: location)
    }

    private mutating func githubSecretName(_ fields: Fields) -> String? {
        let secret = reader.string(fields, "secret", required: true)
        if let secret, let problem = GitHubSecretName.problem(with: secret), let secretNode = fields.node("secret") {
            reader.error(secretNode, "\(path).secret: \(problem)")
            return nil
        }
        return secret
    }

    // MARK: - GitLab

    mutating func gitlab(_ node: Node) -> Target? {
        let allowed = ["project", "group", "variable", "environment_scope", "masked", "protected", "raw", "masked_and_hidden"]
        guard let fields = reader.mapping(node, path: path, allowed: allowed) else { return nil }
        var owner: GitLabVariable.Owner?
        switch (reader.string(fields, "project"), reader.string(fields, "group")) {
        case (let project?, nil):
            owner = .project(project)
            if !Self.isGitLabPath(project), let projectNode = fields.node("project") {
                reader.error(projectNode, "\(path).project: expected a project path such as group/project (or its numeric id), got '\(project)'")
            }
        case (nil, let group?):
            owner = .group(group)
            if !Self.isGitLabPath(group), let groupNode = fields.node("group") {
                reader.error(groupNode, "\(path).group: expected a group path such as acme or acme/platform (or its numeric id), got '\(group)'")
            }
        case (_?, _?):
            reader.error(fields.node("group") ?? fields.owner, "\(path): set either project or group, not both")
        case (nil, nil):
            if !fields.has("project") && !fields.has("group") {
                reader.error(fields.owner, "\(path): needs project (a project variable) or group (a group variable)")
            }
        }
        let key = reader.string(fields, "variable", required: true)
        if let key, let keyNode = fields.node("variable") {
            if key.utf8.count > 255 || !ASCIIText.isWord(key, extra: "_") {
                reader.error(keyNode, "\(path).variable: GitLab variable keys are at most 255 letters, digits and underscores, got '\(key)'")
            }
        }
        let scope = reader.string(fields, "environment_scope") ?? "*"
        let maskedSetting = reader.bool(fields, "masked")
        let protected = reader.bool(fields, "protected") ?? false
        let raw = reader.bool(fields, "raw") ?? true
        let hidden = reader.bool(fields, "masked_and_hidden") ?? false
        // Masked unless the plan says otherwise: a token must not show up in job logs.
        let masked = maskedSetting ?? true
        if hidden && maskedSetting == false, let hiddenNode = fields.node("masked_and_hidden") {
            reader.error(
                hiddenNode,
                "\(path).masked_and_hidden: a hidden variable is always masked (GitLab requires a maskable value); remove masked: false or masked_and_hidden"
            )
        }
        if masked, let problem = GitLabMaskingRules.problem(for: EnvshedAPIAssumptions.serviceTokenFormat, raw: raw) {
            reader.error(fields.node("raw") ?? fields.node("masked") ?? fields.owner, "\(path): masked: \(problem)")
        }
        guard let owner, let key else { return nil }
        let variable = GitLabVariable(
            owner: owner, key: key, environmentScope: scope, masked: masked || hidden, protected: protected, raw: raw, hidden: hidden
        )
        return Target(kind: .gitlabVariable(variable), location: location)
    }

    // MARK: - Kubernetes

    mutating func kubernetes(_ node: Node) -> Target? {
        guard let fields = reader.mapping(node, path: path, allowed: ["namespace", "secret", "key", "restart"]) else { return nil }
        var namespace: String?
        if fields.has("namespace") {
            namespace = reader.string(fields, "namespace")
        } else {
            reader.error(
                fields.owner,
                "\(path): missing required key 'namespace'; the bot never falls back to a default namespace, name the Secret's namespace"
            )
        }
        if let namespace, !Self.isDNSLabel(namespace), let namespaceNode = fields.node("namespace") {
            reader.error(namespaceNode, "\(path).namespace: '\(namespace)' is not a namespace name (lower-case letters, digits and dashes, at most 63)")
        }
        let secret = reader.string(fields, "secret", required: true)
        if let secret, !Self.isDNSSubdomain(secret), let secretNode = fields.node("secret") {
            reader.error(secretNode, "\(path).secret: '\(secret)' is not a Secret name (lower-case letters, digits, dashes and dots, at most 253)")
        }
        let key = reader.string(fields, "key", required: true)
        if let key, let keyNode = fields.node("key"),
           key.utf8.count > 253 || !ASCIIText.isWord(key, extra: "-_.") {
            reader.error(keyNode, "\(path).key: Secret keys are letters, digits, '-', '_' and '.', got '\(key)'")
        }
        var deployment: String?
        if let restart = reader.string(fields, "restart"), let restartNode = fields.node("restart") {
            let parts = restart.split(separator: "/", omittingEmptySubsequences: false)
            if parts.count == 2, ["deployment", "deployments", "deploy"].contains(parts[0]), Self.isDNSSubdomain(String(parts[1])) {
                deployment = String(parts[1])
            } else {
                reader.error(restartNode, "\(path).restart: expected deployment/NAME (as in kubectl rollout restart), got '\(restart)'")
            }
        }
        guard let namespace, let secret, let key else { return nil }
        let secretKey = KubernetesSecretKey(namespace: namespace, secret: secret, key: key, restartDeployment: deployment)
        return Target(kind: .kubernetesSecret(secretKey), location: location)
    }

    // MARK: - File

    mutating func file(_ node: Node) -> Target? {
        guard let fields = reader.mapping(node, path: path, allowed: ["path", "mode", "owner", "then"]) else { return nil }
        var filePath = reader.string(fields, "path", required: true)
        if let given = filePath, let pathNode = fields.node("path") {
            var isDirectory: ObjCBool = false
            let directory = URL(fileURLWithPath: given).deletingLastPathComponent().path
            if !given.hasPrefix("/") {
                reader.error(pathNode, "\(path).path: expected an absolute path, got '\(given)'")
                filePath = nil
            } else if given.hasSuffix("/") {
                reader.error(pathNode, "\(path).path: '\(given)' names a directory; name the file to write")
                filePath = nil
            } else if !PlanHostChecks.enabled {
                // `validate --offline`: the directory is on the host that runs the plan.
            } else if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) || !isDirectory.boolValue {
                reader.error(pathNode, "\(path).path: the directory \(directory) does not exist; the bot writes the file but never creates directories")
            } else if FileManager.default.fileExists(atPath: given, isDirectory: &isDirectory), isDirectory.boolValue {
                reader.error(pathNode, "\(path).path: \(given) is a directory")
            }
        }
        var mode: UInt16 = 0o600
        if let text = reader.string(fields, "mode"), let modeNode = fields.node("mode") {
            if let parsed = Self.octalMode(text) {
                if parsed & 0o007 != 0 {
                    reader.error(modeNode, "\(path).mode: \(text) gives others access to the token; use at most 0660 (or 0640)")
                } else if parsed & 0o400 == 0 {
                    reader.error(modeNode, "\(path).mode: \(text) does not let the owner read the file")
                } else {
                    mode = parsed
                }
            } else {
                reader.error(modeNode, "\(path).mode: expected an octal mode as a string, such as \"0600\", got '\(text)'")
            }
        }
        let owner = reader.string(fields, "owner")
        if PlanHostChecks.enabled, let owner, let ownerNode = fields.node("owner"), let problem = FileOwnership.problem(with: owner) {
            reader.error(ownerNode, "\(path).owner: \(problem)")
        }
        let then = reader.stringList(fields, "then") ?? []
        if fields.has("then"), then.isEmpty, let thenNode = fields.node("then") {
            reader.error(thenNode, "\(path).then: expected a command as a list, such as [systemctl, reload, api]")
        }
        guard let filePath else { return nil }
        return Target(kind: .file(FileDestination(path: filePath, mode: mode, owner: owner, then: then)), location: location)
    }

    // MARK: - Names

    static func octalMode(_ text: String) -> UInt16? {
        let digits = text.hasPrefix("0o") ? String(text.dropFirst(2)) : text
        guard (3...4).contains(digits.count), digits.allSatisfy({ ("0"..."7").contains($0) }) else { return nil }
        guard let value = UInt16(digits, radix: 8), value <= 0o777 else { return nil }
        return value
    }

    static func isGitHubOwner(_ text: String) -> Bool {
        text.utf8.count <= 39 && ASCIIText.isWord(text, extra: "-")
    }

    static func isGitLabPath(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        return parts.allSatisfy { ASCIIText.isWord($0, extra: "-_.") }
    }

    static func isDNSLabel(_ text: String) -> Bool {
        guard let first = text.utf8.first, let last = text.utf8.last, text.utf8.count <= 63 else { return false }
        func allowed(_ byte: UInt8) -> Bool { ASCIIText.isLower(byte) || ASCIIText.isDigit(byte) }
        return allowed(first) && allowed(last) && ASCIIText.isLowerWord(text, extra: "-")
    }

    static func isDNSSubdomain(_ text: String) -> Bool {
        text.utf8.count <= 253 && text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNSLabel(String($0)) }
    }
}
