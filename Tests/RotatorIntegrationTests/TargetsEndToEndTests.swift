import Foundation
import RotatorEmulators
import Testing
import _CryptoExtras

/// Every target kind against its emulator, through the real binary: after a rotation the target
/// holds the new token (as the emulator decodes it), and no write touched anything the plan did
/// not name.
@Suite("Targets end to end: GitLab, GitHub org and App, Kubernetes, files (real binary, loopback emulators)", .serialized, .timeLimit(.minutes(5)))
struct TargetsEndToEndTests {
    @Test("GitLab: a project variable is updated (PUT) and a group variable created (PUT 404, then POST), flags as declared")
    func gitlabVariables() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 3)
            world.gitlab.seedVariable(project: "acme/api", GitLabStoredVariable(
                key: "ENVSHED_TOKEN", value: old.value, environmentScope: "production", masked: true, protected: false,
                raw: true, hidden: false, description: nil, variableType: "env_var"
            ))
            // Same key, other scope: must be left alone (and makes an unfiltered request a 409).
            world.gitlab.seedVariable(project: "acme/api", GitLabStoredVariable(
                key: "ENVSHED_TOKEN", value: "staging-value-untouched", environmentScope: "staging", masked: false, protected: false,
                raw: true, hidden: false, description: nil, variableType: "env_var"
            ))
            try world.writePlan(world.targetsPlan(adopt: old.id, targets: [
                "gitlab: { project: acme/api, variable: ENVSHED_TOKEN, environment_scope: production, masked: true, protected: true }",
                "gitlab: { group: acme, variable: ENVSHED_TOKEN, masked_and_hidden: true }",
            ]))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")

            let project = try #require(world.gitlab.variable(project: "acme/api", key: "ENVSHED_TOKEN", environmentScope: "production"))
            let newToken = try #require(world.token(withValue: project.value))
            #expect(newToken.isLive && newToken.id != old.id)
            #expect(project.masked && project.protected && project.raw && !project.hidden)
            #expect(project.description?.contains("envshed-rotator") == true)
            let group = try #require(world.gitlab.variable(group: "acme", key: "ENVSHED_TOKEN"))
            #expect(group.value == newToken.value)
            #expect(group.hidden && group.masked && group.raw)
            #expect(world.gitlab.variable(project: "acme/api", key: "ENVSHED_TOKEN", environmentScope: "staging")?.value == "staging-value-untouched")
            #expect(world.envshed.token(id: old.id)?.revokedAt != nil)

            let writes = world.gitlab.writes.map { "\($0.method) \($0.ownerKind):\($0.owner)/\($0.key ?? "?")[\($0.environmentScope)] \($0.status)" }
            // The two targets are pushed concurrently: the order holds within each target only.
            #expect(writes.filter { $0.contains("project:") } == ["PUT project:acme/api/ENVSHED_TOKEN[production] 200"], "\(writes)")
            #expect(writes.filter { $0.contains("group:") } == ["PUT group:acme/ENVSHED_TOKEN[*] 404", "POST group:acme/ENVSHED_TOKEN[*] 201"], "\(writes)")
            #expect(writes.count == 3, "\(writes)")
            #expect(world.github.writes.isEmpty && world.kubernetes.writes.isEmpty)
            try world.expectNoSecretsLeaked([result])
        }
    }

    @Test("GitHub organization secret: sealed with the org key, visibility selected with the plan's repositories as ids")
    func githubOrganizationSecret() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 3)
            try world.writePlan(world.targetsPlan(adopt: old.id, targets: [
                "github: { org: acme, secret: ENVSHED_TOKEN, visibility: selected, repos: [acme/api, acme/web] }",
            ]))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            let value = try #require(world.github.organizationSecretValue(org: "acme", name: "ENVSHED_TOKEN"))
            #expect(world.token(withValue: value)?.isLive == true)
            let access = try #require(world.github.organizationSecretAccess(org: "acme", name: "ENVSHED_TOKEN"))
            #expect(access.visibility == "selected")
            #expect(access.repositoryIDs.sorted() == [101, 102])
            #expect(world.github.writes.map(\.scope) == ["org acme"])
            #expect(world.githubSecret("acme/api") == nil, "no repository secret was named")
            #expect(world.gitlab.writes.isEmpty && world.kubernetes.writes.isEmpty)
            try world.expectNoSecretsLeaked([result])
        }
    }

    @Test("GitHub App: one installation token, minted with a verified RS256 JWT, serves every GitHub target")
    func githubApp() async throws {
        try await Scenario.with { world in
            try world.enableGitHubApp()
            let old = world.seedToken(expiresInDays: 3)
            try world.writePlan(world.targetsPlan(adopt: old.id, targets: [
                "github: { repo: acme/api, secret: ENVSHED_TOKEN }",
                "github: { repo: acme/api, environment: production, secret: ENVSHED_TOKEN }",
                "github: { org: acme, secret: ENVSHED_TOKEN, visibility: private }",
            ], githubApp: true))
            let result = try await world.rotator(["run"], extraEnvironment: ["GITHUB_TOKEN": ""])
            #expect(result.exitCode == 0, "\(result.all)")
            let value = try #require(world.githubSecret("acme/api"))
            #expect(world.token(withValue: value)?.isLive == true)
            #expect(world.githubSecret("acme/api", environment: "production") == value)
            #expect(world.github.organizationSecretValue(org: "acme", name: "ENVSHED_TOKEN") == value)
            #expect(world.github.organizationSecretAccess(org: "acme", name: "ENVSHED_TOKEN")?.visibility == "private")
            #expect(world.github.installationTokens.count == 1, "the installation token is cached for the run")
            #expect(world.github.requests.filter { $0.path.hasSuffix("/access_tokens") }.map(\.status) == [201])
            #expect(world.github.requests.allSatisfy { $0.status != 401 })
            try world.expectNoSecretsLeaked([result])
        }
    }

    @Test("GitHub App: a JWT signed with another key is refused (401) and nothing is written")
    func githubAppWrongKey() async throws {
        try await Scenario.with { world in
            try world.enableGitHubApp()
            // Replace the key the plan points at with another App's key.
            let other = try world.otherRSAKeyPEM()
            try other.write(toFile: world.appKeyPath, atomically: true, encoding: .utf8)
            chmod(world.appKeyPath, 0o600)
            let old = world.seedToken(expiresInDays: 5)
            try world.writePlan(world.targetsPlan(adopt: old.id, targets: ["github: { repo: acme/api, secret: ENVSHED_TOKEN }"], githubApp: true))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 1, "\(result.all)")
            #expect(result.stderr.contains("get installation token answered HTTP 401"), "\(result.stderr)")
            #expect(result.stderr.contains("GitHub refused the App's JWT"), "\(result.stderr)")
            #expect(world.github.writes.isEmpty)
            #expect(world.envshed.token(id: old.id)?.isLive == true)
            try world.expectNoSecretsLeaked([result])
        }
    }

    @Test("Kubernetes: server-side apply creates the Secret with data (base64), keeps other keys, restarts the Deployment")
    func kubernetesSecret() async throws {
        try await Scenario.with { world in
            world.kubernetes.addSecret(namespace: "api", name: "envshed", data: ["OTHER": "keep-me"])
            let old = world.seedToken(expiresInDays: 3)
            try world.writePlan(world.targetsPlan(adopt: old.id, targets: [
                "kubernetes: { namespace: api, secret: envshed, key: ENVSHED_TOKEN, restart: deployment/api }",
                "kubernetes: { namespace: api, secret: envshed-new, key: token }",
            ]))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            let value = try #require(world.kubernetes.secretValue(namespace: "api", name: "envshed", key: "ENVSHED_TOKEN"))
            #expect(world.token(withValue: value)?.isLive == true)
            #expect(world.kubernetes.secretValue(namespace: "api", name: "envshed", key: "OTHER") == "keep-me")
            #expect(world.kubernetes.secret(namespace: "api", name: "envshed")?.owners(of: "ENVSHED_TOKEN") == ["envshed-rotator/ENVSHED_TOKEN"])
            #expect(world.kubernetes.secretValue(namespace: "api", name: "envshed-new", key: "token") == value, "a missing Secret is created")
            let restarted = try #require(world.kubernetes.deployment(namespace: "api", name: "api")?.templateAnnotations["kubectl.kubernetes.io/restartedAt"])
            #expect(restarted.hasSuffix("Z") && restarted.count == 20, "RFC 3339, whole seconds: \(restarted)")
            let writes = world.kubernetes.writes.map { "\($0.method) \($0.resource) \($0.namespace)/\($0.name) \($0.contentType ?? "-") \($0.status)" }
            // Targets are written concurrently; within the first target, the Secret before the restart.
            #expect(writes.sorted() == [
                "PATCH secrets api/envshed application/apply-patch+yaml 200",
                "PATCH deployments api/api application/strategic-merge-patch+json 200",
                "PATCH secrets api/envshed-new application/apply-patch+yaml 201",
            ].sorted(), "\(writes)")
            #expect(
                (writes.firstIndex(of: "PATCH secrets api/envshed application/apply-patch+yaml 200") ?? .max)
                    < (writes.firstIndex(of: "PATCH deployments api/api application/strategic-merge-patch+json 200") ?? .min)
            )
            #expect(world.kubernetes.requests.filter(\.isWrite).allSatisfy { $0.query?.contains("fieldManager=envshed-rotator") == true })
            #expect(world.github.writes.isEmpty && world.gitlab.writes.isEmpty)
            try world.expectNoSecretsLeaked([result])
        }
    }

    @Test("Kubernetes: a 409 Conflict is retried and the rotation completes")
    func kubernetesConflictRetried() async throws {
        try await Scenario.with { world in
            world.kubernetes.inject(InjectedFault(method: "PATCH", pathContains: "/secrets/envshed", status: 409, times: 2))
            let old = world.seedToken(expiresInDays: 3)
            try world.writePlan(world.targetsPlan(adopt: old.id, targets: ["kubernetes: { namespace: api, secret: envshed, key: ENVSHED_TOKEN }"]))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            #expect(world.kubernetes.writes.map(\.status) == [409, 409, 201])
            #expect(world.token(withValue: world.kubernetes.secretValue(namespace: "api", name: "envshed", key: "ENVSHED_TOKEN"))?.isLive == true)
        }
    }

    @Test("File: written atomically with the declared mode, then the command runs; nothing else is left in the directory")
    func fileTarget() async throws {
        try await Scenario.with { world in
            let directory = world.directory + "/agent"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let path = directory + "/envshed-token"
            let old = world.seedToken(expiresInDays: 3)
            try world.writePlan(world.targetsPlan(adopt: old.id, targets: [
                "file: { path: \(path), mode: \"0640\", then: [touch, \(directory)/reloaded] }",
            ]))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            let content = try String(contentsOfFile: path, encoding: .utf8)
            #expect(world.token(withValue: content)?.isLive == true, "the file holds exactly the new token, no newline")
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o640)
            #expect(FileManager.default.fileExists(atPath: directory + "/reloaded"), "the then-command ran")
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["envshed-token", "reloaded"])
            #expect(world.writeRequests.allSatisfy { $0.path.hasPrefix("/api/v1/service-tokens") }, "only Envshed was called")
            try world.expectNoSecretsLeaked([result])
        }
    }

    @Test("File: a failing then-command fails the rotation, quotes its stderr scrubbed, and the old token stays valid")
    func fileThenFails() async throws {
        try await Scenario.with { world in
            let path = world.directory + "/token"
            let old = world.seedToken(expiresInDays: 5)
            try world.writePlan(world.targetsPlan(adopt: old.id, targets: [
                "file: { path: \(path), then: [sh, -c, \"echo reload failed for envshed_svc_abcdefgh12345678 >&2; exit 3\"] }",
            ]))
            // The token-shaped text above is in the plan on purpose: validate must refuse it...
            let refused = try await world.rotator(["validate"])
            #expect(refused.exitCode == 64)
            // ...so the command prints it from an environment-free string built at run time instead.
            try world.writePlan(world.targetsPlan(adopt: old.id, targets: [
                "file: { path: \(path), then: [sh, -c, \"printf 'reload failed for %s_svc_abcdefgh12345678' envshed >&2; exit 3\"] }",
            ]))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 1, "\(result.all)")
            let line = try #require(result.stderrMessages.split(separator: "\n").first { $0.hasPrefix("rotation fanout failed") })
            #expect(line.contains("failed at push of file:\(path)"))
            #expect(line.contains("run then-command: `sh -c"))
            #expect(line.contains("exited with status 3"))
            #expect(line.contains("stderr: reload failed for envshed_<redacted>"), "\(line)")
            #expect(line.contains("1 target(s) already hold the new token"))
            #expect(world.envshed.token(id: old.id)?.isLive == true)
        }
    }

    @Test("one rotation fans out to all five kinds at once; every target holds the same new token; only they were written")
    func fanOutToAllFive() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 3)
            let path = world.directory + "/envshed-token"
            try world.writePlan(world.targetsPlan(adopt: old.id, targets: [
                "github: { repo: acme/api, secret: ENVSHED_TOKEN }",
                "github: { org: acme, secret: ENVSHED_TOKEN, visibility: all }",
                "gitlab: { project: acme/api, variable: ENVSHED_TOKEN, environment_scope: production, protected: true }",
                "kubernetes: { namespace: api, secret: envshed, key: ENVSHED_TOKEN, restart: deployment/api }",
                "file: { path: \(path) }",
            ]))
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 0, "\(result.all)")
            let value = try #require(world.githubSecret("acme/api"))
            let token = try #require(world.token(withValue: value))
            #expect(token.isLive && token.id != old.id)
            #expect(world.github.organizationSecretValue(org: "acme", name: "ENVSHED_TOKEN") == value)
            #expect(world.gitlab.variable(project: "acme/api", key: "ENVSHED_TOKEN", environmentScope: "production")?.value == value)
            #expect(world.kubernetes.secretValue(namespace: "api", name: "envshed", key: "ENVSHED_TOKEN") == value)
            #expect(try String(contentsOfFile: path, encoding: .utf8) == value)
            #expect(world.envshed.token(id: old.id)?.revokedAt != nil)

            // Nothing outside the plan: each emulator's write log names only the plan's targets.
            #expect(Set(world.github.writes.map(\.scope)) == ["acme/api", "org acme"])
            #expect(world.gitlab.writes.map { "\($0.owner)/\($0.key ?? "")[\($0.environmentScope)]" }.allSatisfy { $0 == "acme/api/ENVSHED_TOKEN[production]" })
            #expect(Set(world.kubernetes.writes.map { "\($0.resource)/\($0.name)" }) == ["secrets/envshed", "deployments/api"])
            #expect(result.stdout.contains("fanout"))
            try world.expectNoSecretsLeaked([result])
        }
    }

    struct ProviderDenial: CustomTestStringConvertible, Sendable {
        let name: String
        let target: String
        let fault: @Sendable (Scenario) -> Void
        let expected: [String]
        var testDescription: String { name }
    }

    static let denials: [ProviderDenial] = [
        ProviderDenial(
            name: "GitLab 403",
            target: "gitlab: { project: acme/api, variable: ENVSHED_TOKEN }",
            fault: { $0.gitlab.inject(InjectedFault(method: "PUT", status: 403, body: #"{"message":"403 Forbidden"}"#)) },
            expected: ["gitlab:acme/api/ENVSHED_TOKEN[*]: PUT variable answered HTTP 403", "providers.gitlab.token lacks permission: project variables need the Maintainer role on acme/api"]
        ),
        ProviderDenial(
            name: "GitLab group 403",
            target: "gitlab: { group: acme, variable: ENVSHED_TOKEN }",
            fault: { $0.gitlab.inject(InjectedFault(method: "PUT", status: 403, body: #"{"message":"403 Forbidden"}"#)) },
            expected: ["HTTP 403", "providers.gitlab.token lacks permission: group variables need the Owner role on acme"]
        ),
        ProviderDenial(
            name: "Kubernetes 403",
            target: "kubernetes: { namespace: api, secret: envshed, key: ENVSHED_TOKEN }",
            fault: { $0.kubernetes.inject(InjectedFault(method: "PATCH", status: 403)) },
            expected: ["kubernetes:api/envshed#ENVSHED_TOKEN: apply secret answered HTTP 403", "providers.kubernetes.token lacks RBAC permission: the bot needs get and patch on secrets", "in namespace api", "plan --rbac"]
        ),
        ProviderDenial(
            name: "GitHub organization 403",
            target: "github: { org: acme, secret: ENVSHED_TOKEN, visibility: private }",
            fault: { $0.github.inject(InjectedFault(method: "PUT", pathContains: "/orgs/", status: 403)) },
            expected: ["github:org/acme/ENVSHED_TOKEN: PUT organization secret answered HTTP 403", "providers.github.token lacks permission: organization secrets need 'Organization secrets: write'"]
        ),
        ProviderDenial(
            name: "GitLab masking refused",
            target: "gitlab: { project: acme/api, variable: ENVSHED_TOKEN, masked: true }",
            fault: { $0.gitlab.inject(InjectedFault(method: "PUT", status: 400, body: #"{"message":{"value":["is invalid"]}}"#)) },
            expected: ["HTTP 400: value is invalid", "the token does not meet GitLab's masking rules: GitLab masks a raw variable only when its value is at least 8 characters and has no whitespace"]
        ),
    ]

    @Test("provider errors are typed: provider, target, HTTP status, and which credential lacks which permission", arguments: denials)
    func providerDenied(_ denial: ProviderDenial) async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 5)
            try world.writePlan(world.targetsPlan(adopt: old.id, targets: [denial.target]))
            denial.fault(world)
            let result = try await world.rotator(["run"])
            #expect(result.exitCode == 1, "\(result.all)")
            let line = try #require(result.stderrMessages.split(separator: "\n").first { $0.hasPrefix("rotation fanout failed") }, "\(result.stderr)")
            for expected in denial.expected {
                #expect(line.contains(expected), "missing \"\(expected)\" in: \(line)")
            }
            #expect(world.envshed.token(id: old.id)?.isLive == true)
            try world.expectNoSecretsLeaked([result])
        }
    }
}

extension Scenario {
    /// The PEM of an RSA key the emulator does not know.
    func otherRSAKeyPEM() throws -> String {
        try _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation
    }
}
