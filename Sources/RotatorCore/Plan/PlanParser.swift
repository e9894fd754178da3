import Foundation
import Yams

/// Turns the composed YAML tree into a `Plan`, checking types, ranges and references on the way.
/// Cross-rotation checks (duplicate ids and targets, literal secrets anywhere) live in `PlanChecks`.
struct PlanParser {
    static let topLevelKeys = [
        "version", "state_dir", "concurrency", "http_timeout_seconds", "envshed", "providers", "defaults", "rotations", "notify", "metrics_file",
    ]
    static let rotationKeys = [
        "id", "purpose", "scope", "project", "environment", "permission", "expires_in_days",
        "rotate_before_days", "warn_before_days", "grace_minutes", "name", "adopt", "targets", "verify",
    ]
    static let placeholders = ["id", "purpose", "project", "environment", "scope", "permission", "date", "serial"]
    static let maxExpiryDays = 365

    var reader: YAMLReader

    init(file: String) {
        reader = YAMLReader(file: file)
    }

    mutating func parse(_ root: Node) -> Plan? {
        guard let top = reader.mapping(root, path: "plan", allowed: Self.topLevelKeys, extensions: true) else { return nil }
        let location = reader.location(of: root)

        let version = reader.int(top, "version", required: true)
        if let version, version != Plan.supportedVersion, let node = top.node("version") {
            reader.error(node, "version: this envshed-rotator reads plan version \(Plan.supportedVersion), not \(version)")
        }
        let stateDirectory = reader.string(top, "state_dir")
        let concurrency = reader.int(top, "concurrency") ?? 8
        if concurrency < 1 || concurrency > 256, let node = top.node("concurrency") {
            reader.error(node, "concurrency: must be between 1 and 256, got \(concurrency)")
        }

        let httpTimeout = reader.int(top, "http_timeout_seconds") ?? 30
        if httpTimeout < 1 || httpTimeout > 600, let node = top.node("http_timeout_seconds") {
            reader.error(node, "http_timeout_seconds: must be between 1 and 600, got \(httpTimeout)")
        }
        let envshed = top.node("envshed").flatMap { parseEnvshed($0) }
        if !top.has("envshed") { reader.error(root, "plan: missing required key 'envshed'") }
        let providers = top.node("providers").map { parseProviders($0) } ?? ParsedProviders()
        var defaults = RotationDefaults()
        if let node = top.node("defaults") { parseDefaults(node, into: &defaults) }

        var rotations: [Rotation] = []
        if let node = top.node("rotations"), let items = reader.sequence(node, path: "rotations") {
            for (index, item) in items.enumerated() {
                if let rotation = parseRotation(item, index: index, defaults: defaults, providers: providers) {
                    rotations.append(rotation)
                }
            }
            if items.isEmpty { reader.warning(at: reader.location(of: node), "rotations: the list is empty; nothing will rotate") }
        } else if !top.has("rotations") {
            reader.error(root, "plan: missing required key 'rotations'")
        }

        let notifications = top.node("notify").map { parseNotify($0) } ?? []
        let metricsFile = parseMetricsFile(top)

        guard let version, let envshed else { return nil }
        _ = location
        return Plan(
            path: reader.file, version: version, stateDirectory: stateDirectory, concurrency: concurrency,
            httpTimeout: .seconds(httpTimeout),
            envshed: envshed, github: providers.github, gitlab: providers.gitlab, kubernetes: providers.kubernetes,
            rotations: rotations, warnings: [], notifications: notifications, metricsFile: metricsFile,
            defaultWarnBeforeDays: defaults.warnBeforeDays, azureDevOps: providers.azureDevOps
        )
    }

    // MARK: - Sections

    private mutating func parseEnvshed(_ node: Node) -> EnvshedSettings? {
        guard let fields = reader.mapping(node, path: "envshed", allowed: ["api_url", "org", "token", "ca_file", "max_concurrent"]) else { return nil }
        let apiURL = url(fields, "api_url")
        let org = reader.string(fields, "org", required: true)
        let token = credential(fields, "token", required: true)
        let maxConcurrent = positive(fields, "max_concurrent", maximum: CurlTransport.connectionsPerHost)
        let caFile = caFile(fields, "envshed")
        guard let org, let token else { return nil }
        return EnvshedSettings(apiURL: apiURL, org: org, token: token, maxConcurrent: maxConcurrent, caFile: caFile)
    }

    /// The `providers:` entries, each parsed on its own; `declared` says which were written at all,
    /// so that a target of a provider whose entry has an error is not also told the entry is missing.
    struct ParsedProviders {
        var declared: Set<ProviderKind> = []
        var github: GitHubSettings?
        var gitlab: GitLabSettings?
        var kubernetes: KubernetesSettings?
        var azureDevOps: AzureDevOpsSettings?
    }

    private mutating func parseProviders(_ node: Node) -> ParsedProviders {
        var parsed = ParsedProviders()
        guard let fields = reader.mapping(node, path: "providers", allowed: ProviderKind.providerEntryKeys) else { return parsed }
        for key in fields.values.keys {
            if let kind = ProviderKind(rawValue: key) { parsed.declared.insert(kind) }
        }
        if let github = fields.node("github") { parsed.github = parseGitHubProvider(github) }
        if let gitlab = fields.node("gitlab") { parsed.gitlab = parseGitLabProvider(gitlab) }
        if let kubernetes = fields.node("kubernetes") { parsed.kubernetes = parseKubernetesProvider(kubernetes) }
        if let azureDevOps = fields.node("azure_devops") { parsed.azureDevOps = parseAzureDevOpsProvider(azureDevOps) }
        return parsed
    }

    private mutating func parseGitHubProvider(_ node: Node) -> GitHubSettings? {
        let allowed = ["api_url", "token", "app", "ca_file", "max_concurrent", "writes_per_minute"]
        guard let github = reader.mapping(node, path: "providers.github", allowed: allowed) else { return nil }
        let apiURL = url(github, "api_url") ?? URL(string: GitHubSettings.defaultAPIURL)
        let maxConcurrent = positive(github, "max_concurrent", maximum: CurlTransport.connectionsPerHost)
        let writesPerMinute = positive(github, "writes_per_minute")
        var authentication: GitHubSettings.Authentication?
        switch (github.has("token"), github.node("app")) {
        case (true, let appNode?):
            reader.error(appNode, "providers.github: set either token or app, not both")
        case (true, nil):
            authentication = credential(github, "token", required: true).map { .token($0) }
        case (false, let appNode?):
            authentication = parseGitHubApp(appNode).map { .app($0) }
        case (false, nil):
            reader.error(node, "providers.github: needs token (a personal access token) or app (a GitHub App installation)")
        }
        let caFile = caFile(github, "providers.github")
        guard let apiURL, let authentication else { return nil }
        return GitHubSettings(
            apiURL: apiURL, authentication: authentication, maxConcurrent: maxConcurrent, writesPerMinute: writesPerMinute, caFile: caFile
        )
    }

    private mutating func parseGitHubApp(_ node: Node) -> GitHubAppSettings? {
        guard let fields = reader.mapping(node, path: "providers.github.app", allowed: ["id", "installation_id", "private_key"]) else { return nil }
        let id = reader.int(fields, "id", required: true)
        let installationID = reader.int(fields, "installation_id", required: true)
        let privateKey = credential(fields, "private_key", required: true)
        for (key, value) in [("id", id), ("installation_id", installationID)] {
            if let value, value < 1, let valueNode = fields.node(key) {
                reader.error(valueNode, "providers.github.app.\(key): must be a positive number, got \(value)")
            }
        }
        guard let id, let installationID, let privateKey, id > 0, installationID > 0 else { return nil }
        return GitHubAppSettings(appID: id, installationID: installationID, privateKey: privateKey)
    }

    private mutating func parseGitLabProvider(_ node: Node) -> GitLabSettings? {
        let allowed = ["api_url", "token", "auth", "ca_file", "max_concurrent", "writes_per_minute"]
        guard let gitlab = reader.mapping(node, path: "providers.gitlab", allowed: allowed) else { return nil }
        let apiURL = url(gitlab, "api_url") ?? URL(string: GitLabSettings.defaultAPIURL)
        let token = credential(gitlab, "token", required: true)
        let authentication = enumValue(gitlab, "auth", GitLabSettings.Authentication.self, required: false) ?? .privateToken
        let maxConcurrent = positive(gitlab, "max_concurrent", maximum: CurlTransport.connectionsPerHost)
        let writesPerMinute = positive(gitlab, "writes_per_minute")
        let caFile = caFile(gitlab, "providers.gitlab")
        guard let apiURL, let token else { return nil }
        return GitLabSettings(
            apiURL: apiURL, token: token, authentication: authentication, maxConcurrent: maxConcurrent, writesPerMinute: writesPerMinute,
            caFile: caFile
        )
    }

    private mutating func parseAzureDevOpsProvider(_ node: Node) -> AzureDevOpsSettings? {
        let allowed = ["api_url", "token", "auth", "ca_file", "max_concurrent", "writes_per_minute"]
        guard let fields = reader.mapping(node, path: "providers.azure_devops", allowed: allowed) else { return nil }
        let apiURL = url(fields, "api_url") ?? URL(string: AzureDevOpsSettings.defaultAPIURL)
        let token = credential(fields, "token", required: true)
        let authentication = enumValue(fields, "auth", AzureDevOpsSettings.Authentication.self, required: false) ?? .pat
        let maxConcurrent = positive(fields, "max_concurrent", maximum: CurlTransport.connectionsPerHost)
        let writesPerMinute = positive(fields, "writes_per_minute")
        let caFile = caFile(fields, "providers.azure_devops")
        guard let apiURL, let token else { return nil }
        return AzureDevOpsSettings(
            apiURL: apiURL, token: token, authentication: authentication, maxConcurrent: maxConcurrent, writesPerMinute: writesPerMinute,
            caFile: caFile
        )
    }

    /// `ca_file:` of a provider entry: an absolute path, as the service's working directory is not the operator's.
    private mutating func caFile(_ fields: Fields, _ path: String) -> String? {
        let caFile = reader.string(fields, "ca_file")
        if let caFile, !caFile.hasPrefix("/"), let caNode = fields.node("ca_file") {
            reader.error(caNode, "\(path).ca_file: expected an absolute path, got '\(caFile)'")
        }
        return caFile
    }

    private mutating func parseKubernetesProvider(_ node: Node) -> KubernetesSettings? {
        let allowed = ["api_url", "token", "ca_file", "max_concurrent", "writes_per_minute"]
        guard let kubernetes = reader.mapping(node, path: "providers.kubernetes", allowed: allowed) else { return nil }
        let apiURL = url(kubernetes, "api_url")
        let token = credential(kubernetes, "token", required: false)
        let caFile = caFile(kubernetes, "providers.kubernetes")
        let maxConcurrent = positive(kubernetes, "max_concurrent", maximum: CurlTransport.connectionsPerHost)
        let writesPerMinute = positive(kubernetes, "writes_per_minute")
        if kubernetes.has("api_url") && apiURL == nil { return nil }
        if kubernetes.has("token") && token == nil { return nil }
        return KubernetesSettings(apiURL: apiURL, token: token, caFile: caFile, maxConcurrent: maxConcurrent, writesPerMinute: writesPerMinute)
    }

    private mutating func parseDefaults(_ node: Node, into defaults: inout RotationDefaults) {
        let allowed = ["expires_in_days", "rotate_before_days", "warn_before_days", "grace_minutes", "permission", "name"]
        guard let fields = reader.mapping(node, path: "defaults", allowed: allowed) else { return }
        if let value = reader.int(fields, "expires_in_days") { defaults.expiresInDays = value }
        if let value = reader.int(fields, "rotate_before_days") { defaults.rotateBeforeDays = value }
        if let value = reader.int(fields, "warn_before_days") { defaults.warnBeforeDays = value }
        if let value = reader.int(fields, "grace_minutes") { defaults.graceMinutes = value }
        if let value = permission(fields) { defaults.permission = value }
        if let value = nameTemplate(fields) { defaults.nameTemplate = value }
    }

    // MARK: - Rotation

    private mutating func parseRotation(_ node: Node, index: Int, defaults: RotationDefaults, providers: ParsedProviders) -> Rotation? {
        let path = "rotations[\(index)]"
        guard let fields = reader.mapping(node, path: path, allowed: Self.rotationKeys) else { return nil }
        let id = reader.string(fields, "id", required: true)
        if let id, !Self.isValidID(id), let idNode = fields.node("id") {
            reader.error(idNode, "\(path).id: '\(id)' must be lower-case letters, digits and dashes, starting with a letter or digit")
        }
        let label = id.map { "rotation '\($0)'" } ?? path
        let purpose = reader.string(fields, "purpose", required: true)
        let scope = enumValue(fields, "scope", TokenScope.self, required: true)
        let project = fields.node("project").flatMap { parseReference($0, path: "\(label).project") }
        let environment = fields.node("environment").flatMap { parseReference($0, path: "\(label).environment") }

        switch scope {
        case .project?:
            if project?.id == nil { reader.error(fields.node("project") ?? node, "\(label): project scope needs project.id (the project's UUID, used to create the token)") }
        case .environment?:
            if project?.id == nil { reader.error(fields.node("project") ?? node, "\(label): environment scope needs project.id (the project's UUID)") }
            if environment?.id == nil { reader.error(fields.node("environment") ?? node, "\(label): environment scope needs environment.id (the environment's UUID)") }
        case .org?, nil:
            break
        }

        let permission = permission(fields) ?? defaults.permission
        let expires = reader.int(fields, "expires_in_days") ?? defaults.expiresInDays
        let rotateBefore = reader.int(fields, "rotate_before_days") ?? defaults.rotateBeforeDays
        let warnBefore = reader.int(fields, "warn_before_days") ?? defaults.warnBeforeDays
        let grace = reader.int(fields, "grace_minutes") ?? defaults.graceMinutes
        let lifetimeNode = fields.node("rotate_before_days") ?? fields.node("expires_in_days") ?? node
        if expires < 1 || expires > Self.maxExpiryDays {
            reader.error(fields.node("expires_in_days") ?? node, "\(label).expires_in_days: must be between 1 and \(Self.maxExpiryDays), got \(expires)")
        }
        if rotateBefore < 1 {
            reader.error(lifetimeNode, "\(label).rotate_before_days: must be at least 1, got \(rotateBefore)")
        } else if rotateBefore >= expires {
            reader.error(lifetimeNode, "\(label).rotate_before_days (\(rotateBefore)) must be smaller than expires_in_days (\(expires)), or every run would rotate")
        }
        if warnBefore < 0 || warnBefore > rotateBefore {
            reader.error(fields.node("warn_before_days") ?? node, "\(label).warn_before_days: must be between 0 and rotate_before_days (\(rotateBefore)), got \(warnBefore)")
        }
        if grace < 0 || grace > 1_440 {
            reader.error(fields.node("grace_minutes") ?? node, "\(label).grace_minutes: must be between 0 and 1440, got \(grace)")
        }
        let template = nameTemplate(fields) ?? defaults.nameTemplate
        let adopt = fields.node("adopt").flatMap { parseAdoption($0, path: "\(label).adopt") }

        var targets: [Target] = []
        if let targetsNode = fields.node("targets"), let items = reader.sequence(targetsNode, path: "\(label).targets") {
            if items.isEmpty { reader.error(targetsNode, "\(label).targets: needs at least one target") }
            for (targetIndex, item) in items.enumerated() {
                if let target = parseTarget(item, path: "\(label).targets[\(targetIndex)]", providers: providers) {
                    targets.append(target)
                }
            }
        } else if !fields.has("targets") {
            reader.error(node, "\(label): missing required key 'targets'")
        }

        let verify = parseVerify(fields.node("verify"), owner: node, label: label, project: project, environment: environment)

        guard let id, let purpose, let scope, let verify else { return nil }
        return Rotation(
            id: id, purpose: purpose, scope: scope, project: project, environment: environment,
            permission: permission, expiresInDays: expires, rotateBeforeDays: rotateBefore,
            warnBeforeDays: warnBefore, graceMinutes: grace, nameTemplate: template, adopt: adopt,
            targets: targets, verify: verify, location: reader.location(of: node)
        )
    }

    private mutating func parseReference(_ node: Node, path: String) -> ResourceReference? {
        // `project: api` is shorthand for `project: { slug: api }`.
        if case .scalar(let scalar) = node, !scalar.string.isEmpty {
            return ResourceReference(slug: scalar.string, id: nil)
        }
        guard let fields = reader.mapping(node, path: path, allowed: ["slug", "id"]) else { return nil }
        guard let slug = reader.string(fields, "slug", required: true) else { return nil }
        return ResourceReference(slug: slug, id: reader.string(fields, "id"))
    }

    private mutating func parseAdoption(_ node: Node, path: String) -> Adoption? {
        guard let fields = reader.mapping(node, path: path, allowed: ["token_id", "expires_at"]) else { return nil }
        let tokenID = reader.string(fields, "token_id", required: true)
        var expiresAt: Date?
        if let text = reader.string(fields, "expires_at") {
            expiresAt = Timestamp.parse(text)
            if expiresAt == nil, let node = fields.node("expires_at") {
                reader.error(node, "\(path).expires_at: expected a date such as 2026-12-31 or 2026-12-31T00:00:00Z, got '\(text)'")
            }
        }
        guard let tokenID else { return nil }
        return Adoption(tokenID: tokenID, expiresAt: expiresAt, location: fields.node("token_id").map(reader.location(of:)))
    }

    private mutating func parseTarget(_ node: Node, path: String, providers: ParsedProviders) -> Target? {
        guard let fields = reader.mapping(node, path: path, allowed: ProviderKind.allCases.map(\.rawValue)) else { return nil }
        guard fields.values.count == 1, let (kind, (keyNode, valueNode)) = fields.values.first else {
            if fields.values.count > 1 {
                reader.error(node, "\(path): one provider per target, got \(fields.values.keys.sorted().joined(separator: " and "))")
            } else {
                reader.error(node, "\(path): names no provider; expected one of \(ProviderKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return nil
        }
        guard let provider = ProviderKind(rawValue: kind) else { return nil }
        if provider.needsProviderEntry, !providers.declared.contains(provider) {
            let needs = switch provider {
            case .github: "(api_url, and token or app)"
            case .gitlab: "(api_url, token)"
            case .kubernetes: "(api_url, token, ca_file; {} for the in-cluster defaults)"
            case .file: ""
            case .azureDevOps: "(token; api_url defaults to https://dev.azure.com)"
            }
            reader.error(keyNode, "\(path): a \(kind) target needs a 'providers.\(kind)' entry \(needs)")
        }
        var targetParser = TargetParser(reader: reader, path: "\(path).\(kind)", location: reader.location(of: node))
        defer { reader = targetParser.reader }
        return switch provider {
        case .github: targetParser.github(valueNode)
        case .gitlab: targetParser.gitlab(valueNode)
        case .kubernetes: targetParser.kubernetes(valueNode)
        case .file: targetParser.file(valueNode)
        case .azureDevOps: targetParser.azureDevOps(valueNode)
        }
    }

    private mutating func parseVerify(
        _ node: Node?, owner: Node, label: String, project: ResourceReference?, environment: ResourceReference?
    ) -> VerifySpec? {
        var pullProject = project?.slug
        var pullEnvironment = environment?.slug
        var expectKeys: [String] = []
        var anchor = owner
        if let node {
            anchor = node
            if let fields = reader.mapping(node, path: "\(label).verify", allowed: ["pull", "expect_keys"]) {
                if let pull = fields.node("pull"),
                   let pullFields = reader.mapping(pull, path: "\(label).verify.pull", allowed: ["project", "environment"]) {
                    pullProject = reader.string(pullFields, "project") ?? pullProject
                    pullEnvironment = reader.string(pullFields, "environment") ?? pullEnvironment
                }
                expectKeys = reader.stringList(fields, "expect_keys") ?? []
            }
        }
        guard let pullProject, let pullEnvironment else {
            reader.error(anchor, "\(label): the test pull needs a project and an environment; set project and environment, or verify.pull: { project, environment }")
            return nil
        }
        return VerifySpec(project: pullProject, environment: pullEnvironment, expectKeys: expectKeys)
    }

    // MARK: - Values

    mutating func credential(_ fields: Fields, _ key: String, required: Bool) -> CredentialReference? {
        guard let text = reader.string(fields, key, required: required) else { return nil }
        if let reference = CredentialReference(parsing: text) { return reference }
        if let node = fields.node(key) {
            reader.error(node, "\(fields.path).\(key): literal secrets are not allowed in the plan; use env:NAME, file:/path or systemd:NAME")
        }
        return nil
    }

    mutating func url(_ fields: Fields, _ key: String) -> URL? {
        guard let text = reader.string(fields, key) else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            if let node = fields.node(key) { reader.error(node, "\(fields.path).\(key): expected an http(s) URL, got '\(text)'") }
            return nil
        }
        if scheme == "http", !LoopbackHost.contains(url) {
            if let node = fields.node(key) {
                reader.error(node, "\(fields.path).\(key): plain http would send credentials in clear text; use https (http is allowed for loopback only)")
            }
            return nil
        }
        return url
    }

    private mutating func positive(_ fields: Fields, _ key: String, maximum: Int? = nil) -> Int? {
        guard let value = reader.int(fields, key) else { return nil }
        if value < 1, let node = fields.node(key) {
            reader.error(node, "\(fields.path).\(key): must be at least 1, got \(value)")
            return nil
        }
        if let maximum, value > maximum, let node = fields.node(key) {
            reader.error(node, "\(fields.path).\(key): must be at most \(maximum), got \(value)")
            return nil
        }
        return value
    }

    private mutating func permission(_ fields: Fields) -> TokenPermission? {
        enumValue(fields, "permission", TokenPermission.self, required: false)
    }

    mutating func enumValue<Value: RawRepresentable & CaseIterable>(
        _ fields: Fields, _ key: String, _ type: Value.Type, required: Bool
    ) -> Value? where Value.RawValue == String {
        guard let text = reader.string(fields, key, required: required) else { return nil }
        if let value = Value(rawValue: text) { return value }
        if let node = fields.node(key) {
            let allowed = Value.allCases.map(\.rawValue).joined(separator: ", ")
            reader.error(node, "\(fields.path).\(key): '\(text)' is not one of \(allowed)")
        }
        return nil
    }

    private mutating func nameTemplate(_ fields: Fields) -> String? {
        guard let template = reader.string(fields, "name") else { return nil }
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            let name = String(rest[rest.index(after: open)..<close])
            if !Self.placeholders.contains(name), let node = fields.node("name") {
                let known = Self.placeholders.map { "{\($0)}" }.joined(separator: ", ")
                reader.error(node, "\(fields.path).name: unknown placeholder {\(name)}; known: \(known)")
            }
            rest = rest[rest.index(after: close)...]
        }
        return template
    }

    static func isValidID(_ id: String) -> Bool {
        guard let first = id.utf8.first, ASCIIText.isLower(first) || ASCIIText.isDigit(first) else { return false }
        return ASCIIText.isLowerWord(id, extra: "-")
    }

    static func isRepositoryName(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { ASCIIText.isWord($0, extra: "-_.") }
    }
}
