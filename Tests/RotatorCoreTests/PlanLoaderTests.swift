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
                line: 33, column: 62, message: "unknown key 'gitlab'"),
    ]

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
