import Foundation
import RotatorEmulators
import Testing

/// Every list the tool reads is read to its end, and a revocation counts only when proven,
/// through the real binary against emulators that page and answer like the services (SPEC I1 is
/// checked live by `Scenario`).
@Suite("Complete reads and proven revocations (real binary, loopback emulators)", .serialized)
struct CompleteReadsTests {
    /// The Envshed list spans five pages; the rotations' tokens are on the last ones.
    @Test("Envshed's token list spans several pages: two rotations sharing hosts find their tokens and create no duplicates", arguments: [EnvshedListPagination.cursor, .linkHeader, .pageNumbers])
    func envshedListAcrossPages(style: EnvshedListPagination) async throws {
        try await Scenario.with { world in
            world.envshed.paginateList(style, pageSize: 10)
            for index in 0..<45 {
                world.envshed.seedToken(name: "someone else's token \(index)", scope: "org", projectID: nil, environmentID: nil, permission: "read", expiresAt: nil)
            }
            let production = world.seedToken(expiresInDays: 3)
            let staging = world.seedToken(environment: "staging", expiresInDays: 3)
            try world.writePlan(world.standardPlan(adoptProduction: production.id, adoptStaging: staging.id))

            let first = try await world.rotator(["run"])
            #expect(first.exitCode == 0, "\(first.all)")
            let created = world.envshed.tokens.filter { $0.name.contains("(rotated ") }
            #expect(created.count == 2, "one new token per rotation: \(created.map(\.name))")
            #expect(world.envshed.token(id: production.id)?.revokedAt != nil, "the adopted token, on a later page, was found and revoked")
            #expect(world.envshed.token(id: staging.id)?.revokedAt != nil)
            let held = try #require(world.token(withValue: world.githubSecret("acme/api")))
            #expect(held.isLive && world.githubSecret("acme/api", environment: "production") == held.value)
            #expect(world.token(withValue: world.githubSecret("acme/web"))?.isLive == true)
            let listPages = world.envshed.requests.filter { $0.method == "GET" && $0.path == "/api/v1/service-tokens/acme" }
            #expect(listPages.contains { $0.query != nil }, "later pages were asked for")

            // The next run must see the tokens it made (beyond page one) as current and live.
            let second = try await world.rotator(["run"])
            #expect(second.exitCode == 0, "\(second.all)")
            #expect(world.envshed.tokens.count == 45 + 2 + 2, "no rotation created another token")
            #expect(world.envshed.requests.filter { $0.method == "POST" }.count == 2)
            try world.expectNoSecretsLeaked([first, second])
        }
    }

    @Test("An Envshed list that says it holds more than its pages do stops the run before anything changes")
    func truncatedEnvshedListChangesNothing() async throws {
        try await Scenario.with { world in
            world.envshed.paginateList(.pageNumbers, pageSize: 10)
            for index in 0..<15 {
                world.envshed.seedToken(name: "other \(index)", scope: "org", projectID: nil, environmentID: nil, permission: "read", expiresAt: nil)
            }
            let production = world.seedToken(expiresInDays: 3)
            try world.writePlan(world.standardPlan(adoptProduction: production.id))
            // The first page claims to be the only one, with a total it does not hold.
            world.envshed.inject(InjectedFault(
                method: "GET", pathContains: "/api/v1/service-tokens/acme", status: 200,
                body: #"{"serviceTokens": [], "page": 1, "totalPages": 1, "total": 40}"#
            ))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode != 0, "\(result.all)")
            #expect(result.all.contains("states 40 tokens"), "\(result.all)")
            #expect(world.writeRequests.isEmpty, "nothing was written: \(world.writeRequests.map { "\($0.method) \($0.path)" })")
        }
    }

    @Test("A revoke answered 404 by a route that does not exist is not counted: the run fails, the next one revokes")
    func revokeByUnknownRouteIsNotDone() async throws {
        try await Scenario.with { world in
            let production = world.seedToken(expiresInDays: 3)
            let staging = world.seedToken(environment: "staging", expiresInDays: 3)
            try world.writePlan(world.standardPlan(adoptProduction: production.id, adoptStaging: staging.id))
            world.envshed.setRevokeRoute(exists: false)

            let first = try await world.rotator(["run"])
            #expect(first.exitCode != 0, "an unproven revocation fails the run: \(first.all)")
            #expect(first.all.contains("not counted as revoked"), "\(first.all)")
            #expect(world.envshed.token(id: production.id)?.revokedAt == nil)
            #expect(world.envshed.token(id: staging.id)?.revokedAt == nil)
            let deletes = world.envshed.requests.filter { $0.method == "DELETE" }
            #expect(deletes.count >= 2 && deletes.allSatisfy { $0.status == 404 })
            // The rotations themselves succeeded: the targets hold the new, live tokens.
            #expect(world.token(withValue: world.githubSecret("acme/api"))?.isLive == true)
            #expect(world.token(withValue: world.githubSecret("acme/web"))?.isLive == true)

            world.envshed.setRevokeRoute(exists: true)
            let second = try await world.rotator(["run"])
            #expect(second.exitCode == 0, "\(second.all)")
            #expect(world.envshed.token(id: production.id)?.revokedAt != nil, "the next run retried and revoked the old token")
            #expect(world.envshed.token(id: staging.id)?.revokedAt != nil)
            try world.expectNoSecretsLeaked([first, second])
        }
    }

    @Test("GitHub org secret shared with 150 repositories: the read-back pages with per_page=100 and Link; another rotation shares the host")
    func organizationSecretWithManyRepositories() async throws {
        try await Scenario.with { world in
            let names = (1...150).map { "acme/service-\($0)" }
            for (index, name) in names.enumerated() { world.github.addRepository(name, id: 5000 + index) }
            let production = world.seedToken(expiresInDays: 3)
            let staging = world.seedToken(environment: "staging", expiresInDays: 3)
            try world.writePlan(Self.twoRotationPlan(world, adoptProduction: production.id, adoptStaging: staging.id, productionTargets: [
                "github: { org: acme, secret: ENVSHED_TOKEN, visibility: selected, repos: [\(names.joined(separator: ", "))] }",
                "github: { repo: acme/api, secret: ENVSHED_TOKEN }",
            ], stagingTargets: ["github: { repo: acme/web, secret: ENVSHED_TOKEN }"]))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            let access = try #require(world.github.organizationSecretAccess(org: "acme", name: "ENVSHED_TOKEN"))
            #expect(access.repositoryIDs.count == 150)
            let value = try #require(world.github.organizationSecretValue(org: "acme", name: "ENVSHED_TOKEN"))
            #expect(world.token(withValue: value)?.isLive == true && world.githubSecret("acme/api") == value)
            let pages = world.github.requests.filter { $0.path.hasSuffix("/ENVSHED_TOKEN/repositories") }
            #expect(pages.count == 2, "\(pages.map { $0.query ?? "" })")
            #expect(pages.allSatisfy { $0.query?.contains("per_page=100") == true })
            #expect(world.envshed.token(id: production.id)?.revokedAt != nil)
            try world.expectNoSecretsLeaked([result])
        }
    }

    @Test("GitLab Free: a group variable for 'production' lands in '*'; the read-back fails the target loudly and the old token stays")
    func gitlabFreeWrongScope() async throws {
        try await Scenario.with { world in
            world.gitlab.setTier(.free)
            let production = world.seedToken(expiresInDays: 3)
            let staging = world.seedToken(environment: "staging", expiresInDays: 3)
            try world.writePlan(Self.twoRotationPlan(world, adoptProduction: production.id, adoptStaging: staging.id, productionTargets: [
                "gitlab: { group: acme, variable: ENVSHED_TOKEN, environment_scope: production, masked: true }",
                "github: { repo: acme/api, secret: ENVSHED_TOKEN }",
            ], stagingTargets: ["github: { repo: acme/web, secret: ENVSHED_TOKEN }"]))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode != 0, "\(result.all)")
            #expect(result.all.contains("landed in environment scope '*', not the plan's 'production'"), "\(result.all)")
            #expect(result.all.contains("Premium"), "\(result.all)")
            #expect(world.gitlab.variable(group: "acme", key: "ENVSHED_TOKEN", environmentScope: "production") == nil)
            #expect(world.envshed.token(id: production.id)?.revokedAt == nil, "a rotation with a failed target never revokes the old token")
            // The other rotation, sharing the hosts, completed.
            #expect(world.envshed.token(id: staging.id)?.revokedAt != nil)
        }
    }

    @Test("GitLab Premium: a scoped group variable among 130 others is verified through every page of the group's list")
    func gitlabPremiumScopedGroupVariable() async throws {
        try await Scenario.with { world in
            for index in 0..<130 {
                world.gitlab.seedVariable(group: "acme", GitLabStoredVariable(
                    key: "OTHER_\(index)", value: "other-value-\(index)", environmentScope: "*", masked: false, protected: false,
                    raw: true, hidden: false, description: nil, variableType: "env_var"
                ))
            }
            // The same key in another scope, holding another rotation's token: must stay untouched.
            world.gitlab.seedVariable(group: "acme", GitLabStoredVariable(
                key: "ENVSHED_TOKEN", value: "staging-token-untouched", environmentScope: "staging", masked: false, protected: false,
                raw: true, hidden: false, description: nil, variableType: "env_var"
            ))
            let production = world.seedToken(expiresInDays: 3)
            let staging = world.seedToken(environment: "staging", expiresInDays: 3)
            try world.writePlan(Self.twoRotationPlan(world, adoptProduction: production.id, adoptStaging: staging.id, productionTargets: [
                "gitlab: { group: acme, variable: ENVSHED_TOKEN, environment_scope: production, masked: true }",
            ], stagingTargets: ["gitlab: { project: acme/api, variable: ENVSHED_TOKEN, masked: true }"]))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            let variable = try #require(world.gitlab.variable(group: "acme", key: "ENVSHED_TOKEN", environmentScope: "production"))
            #expect(world.token(withValue: variable.value)?.isLive == true)
            #expect(world.gitlab.variable(group: "acme", key: "ENVSHED_TOKEN", environmentScope: "staging")?.value == "staging-token-untouched")
            let listPages = world.gitlab.requests.filter { $0.method == "GET" && $0.path == "/api/v4/groups/acme/variables" }
            #expect(listPages.count == 2, "\(listPages.map { $0.query ?? "" })")
            #expect(world.envshed.token(id: production.id)?.revokedAt != nil)
        }
    }

    /// Two due rotations: `api-production-ci` and `web-staging-ci`, with the targets given.
    static func twoRotationPlan(
        _ world: Scenario, adoptProduction: String, adoptStaging: String, productionTargets: [String], stagingTargets: [String]
    ) -> String {
        """
        version: 1
        state_dir: \(world.stateDirectory)
        envshed:
          api_url: \(world.envshedServer.baseURL.absoluteString)
          org: acme
          token: env:ENVSHED_TOKEN
        \(world.providersYAML())
        defaults:
          expires_in_days: 30
          rotate_before_days: 7
        rotations:
          - id: api-production-ci
            purpose: Production
            scope: environment
            project: { slug: api, id: \(Scenario.projectID) }
            environment: { slug: production, id: \(Scenario.productionID) }
            adopt: { token_id: \(adoptProduction) }
            targets:
        \(productionTargets.map { "      - \($0)" }.joined(separator: "\n"))
          - id: web-staging-ci
            purpose: Staging
            scope: environment
            project: { slug: api, id: \(Scenario.projectID) }
            environment: { slug: staging, id: \(Scenario.stagingID) }
            adopt: { token_id: \(adoptStaging) }
            targets:
        \(stagingTargets.map { "      - \($0)" }.joined(separator: "\n"))

        """
    }
}
