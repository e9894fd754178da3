import Foundation
import Logging
import RotatorCore
import RotatorEmulators
import Testing

/// A GitLab project or group given as a numeric id in one target and as a path in another names
/// one variable twice; only GitLab can tell, so the run asks it before writing anything. Against
/// the GitLab emulator, which answers `GET /projects/:id` and `GET /groups/:id` by id or path
/// (https://docs.gitlab.com/api/projects/#get-a-single-project,
/// https://docs.gitlab.com/api/groups/#get-a-single-group).
@Suite("GitLab targets spelled differently are one target")
struct GitLabTargetCollisionTests {
    static func target(_ owner: GitLabVariable.Owner, key: String = "ENVSHED_TOKEN", scope: String = "production", line: Int) -> Target {
        let variable = GitLabVariable(owner: owner, key: key, environmentScope: scope, masked: true, protected: false, raw: true, hidden: false)
        return Target(kind: .gitlabVariable(variable), location: SourceLocation(file: "plan.yaml", line: line, column: 9))
    }

    static func withGitLab(_ body: (GitLabEmulator, GitLabClient) async throws -> Void) async throws {
        let emulator = GitLabEmulator(acceptedTokens: ["glpat-collisions"])
        emulator.addProject(path: "acme/api", id: 42)
        emulator.addProject(path: "acme/web", id: 43)
        emulator.addGroup(path: "acme", id: 5)
        let server = try await emulator.start()
        defer { Task { await server.stop() } }
        let client = GitLabClient(
            transport: CurlTransport(), baseURL: server.baseURL.appendingPathComponent("api/v4"), credential: Secret("glpat-collisions"),
            authentication: .privateToken
        )
        try await body(emulator, client)
    }

    @Test("a project as id in one rotation and as path in another fails the check, before any write")
    func projectIdAndPath() async throws {
        try await Self.withGitLab { emulator, client in
            let targets = [
                Self.target(.project("acme/web"), line: 10),
                Self.target(.project("42"), line: 20),
                Self.target(.project("ACME/Api"), line: 30),
            ]
            let error = try await #require(throws: TargetError.self) {
                try await GitLabTargetCollisions.check(targets, client: client, logger: Logger(label: "test"))
            }
            #expect(error.target == "gitlab:ACME/Api/ENVSHED_TOKEN[production]")
            #expect(error.description.contains("names the same variable as gitlab:42/ENVSHED_TOKEN[production] (project id 42)"), "\(error)")
            #expect(emulator.requests.allSatisfy { !$0.isWrite }, "the check only reads")
        }
    }

    @Test("a group as id and as path is one group")
    func groupIdAndPath() async throws {
        try await Self.withGitLab { emulator, client in
            let targets = [Self.target(.group("5"), scope: "*", line: 10), Self.target(.group("acme"), scope: "*", line: 20)]
            await #expect(throws: TargetError.self) {
                try await GitLabTargetCollisions.check(targets, client: client, logger: Logger(label: "test"))
            }
        }
    }

    @Test("different projects, keys or scopes pass; a plan without numeric owners asks GitLab nothing")
    func distinctTargetsPass() async throws {
        try await Self.withGitLab { emulator, client in
            let distinct = [
                Self.target(.project("43"), line: 10),
                Self.target(.project("acme/api"), line: 20),
                Self.target(.project("42"), key: "OTHER_TOKEN", line: 30),
                Self.target(.project("42"), scope: "staging", line: 40),
            ]
            try await GitLabTargetCollisions.check(distinct, client: client, logger: Logger(label: "test"))
            #expect(Set(emulator.requests.map(\.path)) == ["/api/v4/projects/43", "/api/v4/projects/acme%2Fapi"])
            let before = emulator.requests.count
            let paths = [Self.target(.project("acme/api"), line: 10), Self.target(.project("acme/web"), line: 20)]
            try await GitLabTargetCollisions.check(paths, client: client, logger: Logger(label: "test"))
            #expect(emulator.requests.count == before)
        }
    }

    @Test("an owner GitLab cannot find fails the check: a collision cannot be ruled out")
    func unknownOwnerFails() async throws {
        try await Self.withGitLab { _, client in
            let targets = [Self.target(.project("999"), line: 10), Self.target(.project("acme/api"), line: 20)]
            let error = try await #require(throws: TargetError.self) {
                try await GitLabTargetCollisions.check(targets, client: client, logger: Logger(label: "test"))
            }
            #expect(error.status == 404, "\(error)")
        }
    }
}

/// The same through the real binary: the plan passes `validate` (a path and an id cannot be
/// compared offline), and the run writes no GitLab variable and revokes nothing.
@Suite("GitLab collisions stop the run before any GitLab write (real binary)", .serialized)
struct GitLabTargetCollisionRunTests {
    @Test("a project as path and as numeric id in one plan: no variable written, the old token stays valid, exit 1")
    func runWritesNothing() async throws {
        try await Scenario.with { world in
            // Due (inside the 7-day lead time) but outside the 3-day warning window: exit 1, not 3.
            let old = world.seedToken(expiresInDays: 5)
            try world.writePlan(world.targetsPlan(adopt: old.id, targets: [
                "gitlab: { project: acme/api, variable: ENVSHED_TOKEN, environment_scope: production }",
                "github: { repo: acme/api, secret: ENVSHED_TOKEN }",
                "gitlab: { project: \(Scenario.gitlabProjectID), variable: ENVSHED_TOKEN, environment_scope: production }",
            ]))
            let validate = try await world.rotator(["validate"])
            #expect(validate.exitCode == 0, "\(validate.all)")
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 1, "\(result.all)")
            #expect(result.all.contains("names the same variable as gitlab:acme/api/ENVSHED_TOKEN[production] (project id \(Scenario.gitlabProjectID))"), "\(result.all)")
            #expect(world.gitlab.writes.isEmpty, "\(world.gitlab.writes)")
            #expect(world.envshed.token(id: old.id)?.revokedAt == nil)
            try world.expectNoSecretsLeaked([validate, result])
        }
    }
}
