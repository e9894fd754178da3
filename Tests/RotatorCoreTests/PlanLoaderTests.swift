import Foundation
import RotatorCore
import Testing

@Suite("Plan loading and validation")
struct PlanLoaderTests {
    @Test("a valid plan loads with defaults filled in")
    func validPlan() throws {
        let plan = try PlanLoader.parse(PlanFixtures.valid, file: "plan.yaml")
        #expect(plan.version == 1)
        #expect(plan.envshed.org == "acme")
        #expect(plan.envshed.token == .environment("ENVSHED_TOKEN"))
        #expect(plan.rotations.count == 2)
        let api = try #require(plan.rotation(id: "api-production-ci"))
        #expect(api.scope == .environment)
        #expect(api.expiresInDays == 30)
        #expect(api.rotateBeforeDays == 7)
        #expect(api.warnBeforeDays == 3)
        #expect(api.targets.map(\.label) == ["github:acme/api/ENVSHED_TOKEN", "github:acme/api@production/ENVSHED_TOKEN"])
        #expect(api.verify == VerifySpec(project: "api", environment: "production", expectKeys: ["DATABASE_URL"]))
        #expect(api.adopt?.tokenID == "0d6e0000-0000-4000-8000-000000000003")
        #expect(api.adopt?.expiresAt == Timestamp.parse("2026-12-31T00:00:00Z"))
        let web = try #require(plan.rotation(id: "web-staging"))
        #expect(web.expiresInDays == 60, "defaults apply where the rotation is silent")
        #expect(web.rotateBeforeDays == 10)
        #expect(web.verify.environment == "staging")
        #expect(plan.github?.apiURL.absoluteString == "https://api.github.com")
    }

    struct BadPlan: CustomTestStringConvertible, Sendable {
        let name: String
        let yaml: String
        let line: Int
        let column: Int?
        let message: String
        var testDescription: String { name }
    }

    static let badPlans: [BadPlan] = [
        BadPlan(name: "YAML syntax error", yaml: PlanFixtures.valid(replacing: "  org: acme", with: "  org: [acme"),
                line: 4, column: 8, message: "YAML syntax error"),
        BadPlan(name: "unknown key with suggestion", yaml: PlanFixtures.valid(replacing: "    expires_in_days: 30", with: "    expire_in_days: 30"),
                line: 18, column: 5, message: "unknown key 'expire_in_days'; did you mean 'expires_in_days'?"),
        BadPlan(name: "wrong type", yaml: PlanFixtures.valid(replacing: "    expires_in_days: 30", with: "    expires_in_days: thirty"),
                line: 18, column: 22, message: "expected a whole number, got 'thirty'"),
        BadPlan(name: "missing id", yaml: PlanFixtures.valid(replacing: "  - id: web-staging\n    purpose", with: "  - purpose"),
                line: 26, column: 5, message: "missing required key 'id'"),
        BadPlan(name: "literal secret as credential", yaml: PlanFixtures.valid(replacing: "token: env:ENVSHED_TOKEN", with: "token: hunter2-not-a-reference"),
                line: 4, column: 10, message: "literal secrets are not allowed"),
        BadPlan(name: "token-shaped value anywhere", yaml: PlanFixtures.valid(replacing: "purpose: Web previews", with: "purpose: envshed_svc_abcdef123456xyz"),
                line: 27, column: 14, message: "looks like a literal secret"),
        BadPlan(name: "rotate_before_days >= expires_in_days", yaml: PlanFixtures.valid(replacing: "    rotate_before_days: 7", with: "    rotate_before_days: 30"),
                line: 19, column: 25, message: "must be smaller than expires_in_days"),
        BadPlan(name: "duplicate id", yaml: PlanFixtures.valid(replacing: "id: web-staging", with: "id: api-production-ci"),
                line: 26, column: 5, message: "duplicate id; first defined at line 12"),
        BadPlan(name: "two rotations write one secret", yaml: PlanFixtures.valid(replacing: "repo: acme/web", with: "repo: ACME/api"),
                line: 33, column: 9, message: "is already written by rotation 'api-production-ci'"),
        BadPlan(name: "two rotations write one GitHub environment secret (environment names are case-insensitive)",
                yaml: PlanFixtures.valid(replacing: "- github: { repo: acme/web, secret: ENVSHED_TOKEN }", with: "- github: { repo: Acme/API, environment: Production, secret: Envshed_Token }"),
                line: 33, column: 9,
                message: "target github:Acme/API@Production/Envshed_Token is already written by rotation 'api-production-ci' as github:acme/api@production/ENVSHED_TOKEN (line 23)"),
        BadPlan(name: "two rotations adopt one token",
                yaml: PlanFixtures.valid(replacing: "    purpose: Web previews\n", with: "    purpose: Web previews\n    adopt: { token_id: 0D6E0000-0000-4000-8000-000000000003 }\n"),
                line: 28, column: 24,
                message: "adopt.token_id 0D6E0000-0000-4000-8000-000000000003 is already adopted by rotation 'api-production-ci' (line 20)"),
        BadPlan(name: "environment scope without environment id", yaml: PlanFixtures.valid(replacing: "environment: { slug: production, id: 9ab20000-0000-4000-8000-000000000002 }", with: "environment: { slug: production }"),
                line: 16, column: 18, message: "environment scope needs environment.id"),
        BadPlan(name: "github target without providers.github", yaml: PlanFixtures.valid(replacing: "providers:\n  github:\n    token: env:GITHUB_TOKEN\n", with: ""),
                line: 19, column: 9, message: "needs a 'providers.github' entry"),
        BadPlan(name: "invalid GitHub secret name", yaml: PlanFixtures.valid(replacing: "repo: acme/web, secret: ENVSHED_TOKEN", with: "repo: acme/web, secret: GITHUB_ENVSHED"),
                line: 33, column: 43, message: "must not start with GITHUB_"),
        BadPlan(name: "newer version", yaml: PlanFixtures.valid(replacing: "version: 1", with: "version: 2"),
                line: 1, column: 10, message: "reads plan version 1, not 2"),
        BadPlan(name: "unknown name placeholder", yaml: PlanFixtures.valid(replacing: "    permission: read\n", with: "    permission: read\n    name: \"{purpose} {team}\"\n"),
                line: 18, column: 11, message: "unknown placeholder {team}"),
        BadPlan(name: "plain http to a remote host", yaml: PlanFixtures.valid(replacing: "  org: acme", with: "  api_url: http://envshed.example.com\n  org: acme"),
                line: 3, column: 12, message: "plain http would send credentials in clear text"),
        BadPlan(name: "bad rotation id", yaml: PlanFixtures.valid(replacing: "id: web-staging", with: "id: Web_Staging"),
                line: 26, column: 9, message: "must be lower-case letters, digits and dashes"),
        BadPlan(name: "unknown scope", yaml: PlanFixtures.valid(replacing: "scope: project", with: "scope: team"),
                line: 28, column: 12, message: "'team' is not one of org, project, environment"),
        BadPlan(name: "no targets", yaml: PlanFixtures.valid(replacing: "    targets:\n      - github: { repo: acme/web, secret: ENVSHED_TOKEN }\n", with: "    targets: []\n"),
                line: 32, column: 14, message: "needs at least one target"),
        BadPlan(name: "two providers in one target", yaml: PlanFixtures.valid(replacing: "- github: { repo: acme/web, secret: ENVSHED_TOKEN }", with: "- { github: { repo: acme/web, secret: ENVSHED_TOKEN }, gitlab: {} }"),
                line: 33, column: 9, message: "one provider per target, got github and gitlab"),
        BadPlan(name: "unknown target provider", yaml: PlanFixtures.valid(replacing: "- github: { repo: acme/web, secret: ENVSHED_TOKEN }", with: "- gitlabs: { project: acme/web, variable: ENVSHED_TOKEN }"),
                line: 33, column: 9, message: "unknown key 'gitlabs'; did you mean 'gitlab'?"),
    ]

    /// Offline checks of the GitLab, GitHub organization and App, Kubernetes and file targets.
    static let badTargets: [BadPlan] = [
        BadPlan(name: "GitLab: masked_and_hidden with masked: false (a hidden variable is always masked)",
                yaml: PlanFixtures.allKinds(replacing: "{ group: acme, variable: ENVSHED_TOKEN, masked_and_hidden: true }", with: "{ group: acme, variable: ENVSHED_TOKEN, masked: false, masked_and_hidden: true }"),
                line: 28, column: 91, message: "a hidden variable is always masked"),
        BadPlan(name: "GitLab: variable key with a dash",
                yaml: PlanFixtures.allKinds(replacing: "variable: ENVSHED_TOKEN, environment_scope", with: "variable: ENVSHED-TOKEN, environment_scope"),
                line: 19, column: 48, message: "GitLab variable keys are at most 255 letters, digits and underscores"),
        BadPlan(name: "GitLab: target without providers.gitlab",
                yaml: PlanFixtures.allKinds(replacing: "  gitlab:\n    token: env:GITLAB_TOKEN\n", with: ""),
                line: 17, column: 9, message: "a gitlab target needs a 'providers.gitlab' entry"),
        BadPlan(name: "GitHub org: selected without repos",
                yaml: PlanFixtures.allKinds(replacing: ", repos: [acme/api, acme/web]", with: ""),
                line: 18, column: 65, message: "visibility: selected needs repos"),
        BadPlan(name: "GitHub org: repos with visibility all",
                yaml: PlanFixtures.allKinds(replacing: "visibility: selected", with: "visibility: all"),
                line: 18, column: 77, message: "only visibility: selected takes a list of repositories"),
        BadPlan(name: "GitHub org: a repository of another owner",
                yaml: PlanFixtures.allKinds(replacing: "repos: [acme/api, acme/web]", with: "repos: [acme/api, other/web]"),
                line: 18, column: 82, message: "'other/web' is not a repository of the organization 'acme'"),
        BadPlan(name: "GitHub: token and app both set",
                yaml: PlanFixtures.allKinds(replacing: "app: { id: 12345", with: "token: env:GITHUB_TOKEN\n    app: { id: 12345"),
                line: 8, column: 10, message: "set either token or app, not both"),
        BadPlan(name: "Kubernetes: target without namespace",
                yaml: PlanFixtures.allKinds(replacing: "namespace: api, secret: envshed, key: ENVSHED_TOKEN, restart", with: "secret: envshed, key: ENVSHED_TOKEN, restart"),
                line: 20, column: 21, message: "missing required key 'namespace'"),
        BadPlan(name: "Kubernetes: restart of something other than a deployment",
                yaml: PlanFixtures.allKinds(replacing: "restart: deployment/api", with: "restart: pod/api"),
                line: 20, column: 85, message: "expected deployment/NAME"),
        BadPlan(name: "file: the directory does not exist",
                yaml: PlanFixtures.allKinds(replacing: "/tmp/envshed-rotator-test-token,", with: "/nonexistent-envshed-dir/token,"),
                line: 21, column: 23, message: "the directory /nonexistent-envshed-dir does not exist"),
        BadPlan(name: "file: mode is not octal",
                yaml: PlanFixtures.allKinds(replacing: "mode: \"0640\"", with: "mode: \"rw-r-----\""),
                line: 21, column: 62, message: "expected an octal mode as a string"),
        BadPlan(name: "file: mode lets others read the token",
                yaml: PlanFixtures.allKinds(replacing: "mode: \"0640\"", with: "mode: \"0644\""),
                line: 21, column: 62, message: "gives others access to the token"),
        BadPlan(name: "file: owner that does not exist",
                yaml: PlanFixtures.allKinds(replacing: "mode: \"0640\" }", with: "mode: \"0640\", owner: \"no-such-user-envshed:nogroup\" }"),
                line: 21, column: 77, message: "no user named 'no-such-user-envshed'"),
        BadPlan(name: "two rotations write one GitLab variable",
                yaml: PlanFixtures.allKinds(replacing: "- gitlab: { group: acme, variable: ENVSHED_TOKEN, masked_and_hidden: true }", with: "- gitlab: { project: ACME/api, variable: ENVSHED_TOKEN, environment_scope: production }"),
                line: 28, column: 9, message: "target gitlab:ACME/api/ENVSHED_TOKEN[production] is already written by rotation 'api-production-ci'"),
        BadPlan(name: "two rotations write one file (path normalised)",
                yaml: PlanFixtures.allKinds(replacing: "/tmp/envshed-rotator-test-token-2", with: "/tmp/./envshed-rotator-test-token"),
                line: 29, column: 9, message: "is already written by rotation 'api-production-ci'"),
        BadPlan(name: "two rotations write one Kubernetes Secret key",
                yaml: PlanFixtures.allKinds(replacing: "- file: { path: /tmp/envshed-rotator-test-token-2 }", with: "- kubernetes: { namespace: api, secret: envshed, key: ENVSHED_TOKEN }"),
                line: 29, column: 9, message: "target kubernetes:api/envshed#ENVSHED_TOKEN is already written by rotation 'api-production-ci'"),
        BadPlan(name: "two rotations write one GitHub organization secret (names are case-insensitive)",
                yaml: PlanFixtures.allKinds(replacing: "- file: { path: /tmp/envshed-rotator-test-token-2 }", with: "- github: { org: ACME, secret: Envshed_Token, visibility: all }"),
                line: 29, column: 9, message: "target github:org/ACME/Envshed_Token is already written by rotation 'api-production-ci'"),
    ]

    @Test("two rotations writing one file through a symlinked directory write one target")
    func fileThroughSymlink() throws {
        let base = NSTemporaryDirectory() + "/envshed-rotator-links-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: base + "/real", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createSymbolicLink(atPath: base + "/link", withDestinationPath: base + "/real")
        let yaml = PlanFixtures.allKinds
            .replacingOccurrences(of: "/tmp/envshed-rotator-test-token,", with: "\(base)/real/token,")
            .replacingOccurrences(of: "/tmp/envshed-rotator-test-token-2", with: "\(base)/link/token")
        try malformed(BadPlan(
            name: "file through a symlink", yaml: yaml, line: 29, column: 9,
            message: "target file:\(base)/link/token is already written by rotation 'api-production-ci' as file:\(base)/real/token"
        ))
        // A different file in the same directory is another target.
        let distinct = yaml.replacingOccurrences(of: "\(base)/link/token", with: "\(base)/link/other-token")
        #expect(try PlanLoader.parse(distinct, file: "plan.yaml").rotations.count == 2)
    }

    @Test("a GitLab group variable scoped to an environment gets a warning (Premium only), a project variable none")
    func groupEnvironmentScopeWarning() throws {
        let scoped = PlanFixtures.allKinds(
            replacing: "{ group: acme, variable: ENVSHED_TOKEN, masked_and_hidden: true }",
            with: "{ group: acme, variable: ENVSHED_TOKEN, environment_scope: staging, masked_and_hidden: true }"
        )
        let plan = try PlanLoader.parse(scoped, file: "plan.yaml")
        let warning = try #require(plan.warnings.first { $0.message.contains("environment_scope on group variables") }, "\(plan.warnings)")
        #expect(warning.severity == .warning)
        #expect(warning.location == SourceLocation(file: "plan.yaml", line: 28, column: 9))
        #expect(warning.message.contains("gitlab:group:acme/ENVSHED_TOKEN[staging]: GitLab honours environment_scope on group variables on Premium and Ultimate only"))
        #expect(plan.warnings.count == 1, "the project variable scoped to production gets none: \(plan.warnings)")
    }

    @Test("a malformed target is reported with file:line:col", arguments: badTargets)
    func malformedTarget(_ bad: BadPlan) throws {
        try malformed(bad)
    }

    @Test("a plan with every kind of target loads with the documented defaults")
    func allKinds() throws {
        let plan = try PlanLoader.parse(PlanFixtures.allKinds, file: "plan.yaml")
        #expect(plan.rotations.flatMap(\.targets).map(\.label) == [
            "github:org/acme/ENVSHED_TOKEN", "gitlab:acme/api/ENVSHED_TOKEN[production]", "kubernetes:api/envshed#ENVSHED_TOKEN",
            "file:/tmp/envshed-rotator-test-token", "gitlab:group:acme/ENVSHED_TOKEN[*]", "file:/tmp/envshed-rotator-test-token-2",
        ])
        let targets = plan.rotations.flatMap(\.targets).map(\.kind)
        #expect(targets[0] == .githubOrganization(GitHubOrganizationSecret(org: "acme", secret: "ENVSHED_TOKEN", visibility: .selected, repositories: ["acme/api", "acme/web"])))
        #expect(targets[1] == .gitlabVariable(GitLabVariable(owner: .project("acme/api"), key: "ENVSHED_TOKEN", environmentScope: "production", masked: true, protected: true, raw: true, hidden: false)))
        #expect(targets[2] == .kubernetesSecret(KubernetesSecretKey(namespace: "api", secret: "envshed", key: "ENVSHED_TOKEN", restartDeployment: "api")))
        #expect(targets[3] == .file(FileDestination(path: "/tmp/envshed-rotator-test-token", mode: 0o640, owner: nil, then: [])))
        // Defaults: masked, raw and scope * for GitLab; 0600 for files.
        #expect(targets[4] == .gitlabVariable(GitLabVariable(owner: .group("acme"), key: "ENVSHED_TOKEN", environmentScope: "*", masked: true, protected: false, raw: true, hidden: true)))
        #expect(targets[5] == .file(FileDestination(path: "/tmp/envshed-rotator-test-token-2", mode: 0o600, owner: nil, then: [])))
        #expect(plan.github?.authentication == .app(GitHubAppSettings(appID: 12345, installationID: 678, privateKey: .file("/etc/envshed-rotator/app.pem"))))
        #expect(plan.gitlab?.apiURL.absoluteString == "https://gitlab.com/api/v4")
        #expect(plan.gitlab?.authentication == .privateToken)
        #expect(plan.kubernetes?.apiURL == nil, "in-cluster defaults apply at run time")
        #expect(plan.warnings.isEmpty)
    }

    @Test("a malformed plan is reported with file:line:col", arguments: badPlans)
    func malformed(_ bad: BadPlan) throws {
        let error = try #require(throws: PlanError.self) { try PlanLoader.parse(bad.yaml, file: "plan.yaml") }
        let matching = error.diagnostics.filter { $0.message.contains(bad.message) }
        let diagnostic = try #require(matching.first, "no diagnostic contains \"\(bad.message)\"; got:\n\(error)")
        #expect(diagnostic.severity == .error)
        #expect(diagnostic.location.file == "plan.yaml")
        #expect(diagnostic.location.line == bad.line, "\(diagnostic)")
        if let column = bad.column {
            #expect(diagnostic.location.column == column, "\(diagnostic)")
        }
        #expect(error.description.contains("plan.yaml:\(diagnostic.location.line):\(diagnostic.location.column): error:"))
    }

    @Test("every problem is reported at once")
    func allProblemsAtOnce() throws {
        let yaml = PlanFixtures.valid
            .replacingOccurrences(of: "    expires_in_days: 30", with: "    expires_in_days: many")
            .replacingOccurrences(of: "  - id: web-staging\n", with: "  - ident: web-staging\n")
            .replacingOccurrences(of: "token: env:GITHUB_TOKEN", with: "token: ghp_0123456789abcdef0123456789abcdef0123")
        let error = try #require(throws: PlanError.self) { try PlanLoader.parse(yaml, file: "p.yaml") }
        let errors = error.diagnostics.filter { $0.severity == .error }
        #expect(errors.count >= 4, "\(error)")
        #expect(errors.contains { $0.message.contains("expected a whole number") })
        #expect(errors.contains { $0.message.contains("unknown key 'ident'") })
        #expect(errors.contains { $0.message.contains("missing required key 'id'") })
        #expect(errors.contains { $0.message.contains("literal secret") })
        #expect(!error.description.contains("ghp_0123456789abcdef"), "the pasted token must not be echoed back")
    }

    @Test("policy warnings are warnings, and errors under --strict")
    func policyWarnings() throws {
        let yaml = PlanFixtures.valid(replacing: "    permission: read\n", with: "    permission: read_write\n")
        let plan = try PlanLoader.parse(yaml, file: "plan.yaml")
        #expect(plan.warnings.contains { $0.severity == .warning && $0.message.contains("read_write") })
        let strict = try #require(throws: PlanError.self) { try PlanLoader.parse(yaml, file: "plan.yaml", strict: true) }
        #expect(strict.diagnostics.contains { $0.severity == .error && $0.message.contains("read_write") })
    }

    @Test("a missing file is a clear error")
    func missingFile() throws {
        let error = try #require(throws: PlanError.self) { try PlanLoader.load(path: "/nonexistent/plan.yaml") }
        #expect(error.description == "/nonexistent/plan.yaml: cannot read the plan: no such file")
    }
}
