import Foundation
@testable import RotatorCore
import Testing

/// `azure_devops:` targets and `providers.azure_devops` in the plan: parsed, defaulted, and every
/// mistake reported with file:line:col.
@Suite("Plan: Azure DevOps variable-group targets")
struct AzureDevOpsPlanTests {
    static func plan(target: String = "{ organization: acme, project: platform, group: deploy-tokens, variable: ENVSHED_TOKEN }",
                     provider: String = "token: env:AZURE_DEVOPS_PAT") -> String {
        """
        version: 1
        envshed:
          org: acme
          token: env:ENVSHED_TOKEN
        providers:
          azure_devops:
            \(provider)
        rotations:
          - id: api-production-ci
            purpose: Deploy
            scope: project
            project: { slug: api, id: 3f1c2b7e-0000-4000-8000-000000000001 }
            environment: production
            targets:
              - azure_devops: \(target)

        """
    }

    @Test("a variable-group target loads, with dev.azure.com, PAT auth and the documented budget defaults")
    func loads() throws {
        let plan = try PlanLoader.parse(Self.plan(), file: "plan.yaml")
        let target = try #require(plan.rotations.first?.targets.first)
        #expect(target.kind == .azureDevOpsVariable(AzureDevOpsVariable(organization: "acme", project: "platform", group: "deploy-tokens", variable: "ENVSHED_TOKEN")))
        #expect(target.label == "azure_devops:acme/platform/deploy-tokens#ENVSHED_TOKEN")
        #expect(target.provider == .azureDevOps)
        #expect(target.location == SourceLocation(file: "plan.yaml", line: 15, column: 9))
        let settings = try #require(plan.azureDevOps)
        #expect(settings.apiURL.absoluteString == "https://dev.azure.com")
        #expect(settings.authentication == .pat)
        #expect(settings.maxConcurrent == nil && settings.writesPerMinute == nil, "the defaults apply at run time")
        #expect(AzureDevOpsSettings.defaultWritesPerMinute == 30 && AzureDevOpsSettings.defaultMaxConcurrent == 4)
    }

    @Test("two targets naming one variable in different case are one target (a duplicate)")
    func caseInsensitiveDuplicate() throws {
        let yaml = Self.plan() + """
                  - azure_devops: { organization: ACME, project: Platform, group: Deploy-Tokens, variable: envshed_token }

            """
        let error = try #require(throws: PlanError.self) { try PlanLoader.parse(yaml, file: "plan.yaml") }
        #expect(error.diagnostics.contains { $0.location.line == 16 }, "\(error)")
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        let name: String
        let yaml: String
        let line: Int
        let column: Int
        let message: String
        var testDescription: String { name }
    }

    static let bad: [Bad] = [
        Bad(name: "organization with a slash", yaml: plan(target: "{ organization: acme/x, project: platform, group: g, variable: V }"),
            line: 15, column: 39, message: "is not an Azure DevOps organization name"),
        Bad(name: "project with a colon", yaml: plan(target: "{ organization: acme, project: 'a:b', group: g, variable: V }"),
            line: 15, column: 54, message: "is not an Azure DevOps project name"),
        Bad(name: "group with a wildcard", yaml: plan(target: "{ organization: acme, project: p, group: 'deploy*', variable: V }"),
            line: 15, column: 64, message: "which Azure DevOps reads as a wildcard"),
        Bad(name: "variable with a dash", yaml: plan(target: "{ organization: acme, project: p, group: g, variable: ENVSHED-TOKEN }"),
            line: 15, column: 77, message: "Azure Pipelines variable names are letters, digits"),
        Bad(name: "reserved prefix", yaml: plan(target: "{ organization: acme, project: p, group: g, variable: SECRET_TOKEN }"),
            line: 15, column: 77, message: "a prefix Azure Pipelines reserves"),
        Bad(name: "missing variable", yaml: plan(target: "{ organization: acme, project: p, group: g }"),
            line: 15, column: 23, message: "missing required key 'variable'"),
        Bad(name: "unknown key", yaml: plan(target: "{ organization: acme, project: p, group: g, variable: V, secret: false }"),
            line: 15, column: 80, message: "secret"),
        Bad(name: "literal token", yaml: plan(provider: "token: abc123"),
            line: 7, column: 12, message: "literal secrets are not allowed"),
        Bad(name: "unknown auth", yaml: plan(provider: "{ token: env:PAT, auth: basic }"),
            line: 7, column: 29, message: "'basic' is not one of pat, bearer"),
    ]

    @Test("a malformed Azure DevOps target or provider is reported with file:line:col", arguments: bad)
    func malformed(_ bad: Bad) throws {
        let error = try #require(throws: PlanError.self) { try PlanLoader.parse(bad.yaml, file: "plan.yaml") }
        let diagnostic = try #require(error.diagnostics.first { $0.message.contains(bad.message) }, "no diagnostic contains \"\(bad.message)\"; got:\n\(error)")
        #expect(diagnostic.location.line == bad.line, "\(diagnostic)")
        #expect(diagnostic.location.column == bad.column, "\(diagnostic)")
        #expect(error.description.contains("plan.yaml:\(bad.line):\(bad.column): error:"))
    }

    @Test("a target without a providers.azure_devops entry says what the entry needs")
    func missingProvider() throws {
        let yaml = Self.plan().replacingOccurrences(of: "  azure_devops:\n    token: env:AZURE_DEVOPS_PAT\n", with: "  kubernetes: {}\n")
        let error = try #require(throws: PlanError.self) { try PlanLoader.parse(yaml, file: "plan.yaml") }
        #expect(error.description.contains("a azure_devops target needs a 'providers.azure_devops' entry (token; api_url defaults to https://dev.azure.com)"), "\(error)")
    }
}
