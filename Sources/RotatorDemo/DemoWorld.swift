import Foundation
import RotatorCore
import RotatorEmulators

/// The demo's organisation: one Envshed org with a project and two environments, two GitHub
/// repositories, a token in use today that expires in five days (adopted, so due), and a second
/// rotation that has no token yet.
struct DemoWorld: Sendable {
    let envshedAdminToken = "demo-envshed-admin-" + UUID().uuidString.lowercased()
    let githubToken = "demo-github-" + UUID().uuidString.lowercased()
    let envshed: EnvshedEmulator
    let github: GitHubEmulator
    let adoptedTokenID: String

    static let projectID = "3f1c2b7e-5a1d-4c3e-9b8a-2d4f6e8a0c11"
    static let productionID = "9ab2c4d6-1e3f-4a5b-8c7d-0e1f2a3b4c5d"
    static let stagingID = "7c6d5e4f-3a2b-4c1d-9e8f-7a6b5c4d3e2f"

    init() {
        envshed = EnvshedEmulator(org: "acme", adminToken: envshedAdminToken)
        envshed.addProject(slug: "api", id: Self.projectID)
        envshed.addEnvironment(project: "api", slug: "production", id: Self.productionID, secrets: [
            "DATABASE_URL": "postgres://api@db.internal/api", "STRIPE_KEY": "demo-not-a-key",
        ])
        envshed.addEnvironment(project: "api", slug: "staging", id: Self.stagingID, secrets: [
            "DATABASE_URL": "postgres://api@db-staging.internal/api",
        ])
        adoptedTokenID = envshed.seedToken(
            name: "API deploy token (created by hand)", scope: "environment", projectID: Self.projectID,
            environmentID: Self.productionID, permission: "read", expiresAt: Date().addingTimeInterval(5 * 86_400)
        ).id
        github = GitHubEmulator(acceptedTokens: [githubToken])
        github.addRepository("acme/api", id: 1_296_269, environments: ["production"])
        github.addRepository("acme/web", id: 1_296_270)
    }

    func plan(envshedURL: URL, githubURL: URL) -> String {
        """
        version: 1
        envshed:
          api_url: \(envshedURL.absoluteString)
          org: acme
          token: env:ENVSHED_TOKEN
        providers:
          github:
            api_url: \(githubURL.absoluteString)
            token: env:GITHUB_TOKEN
        defaults:
          expires_in_days: 30
          rotate_before_days: 7
        rotations:
          - id: api-production-ci
            purpose: GitHub Actions deploy
            scope: environment
            project: { slug: api, id: \(Self.projectID) }
            environment: { slug: production, id: \(Self.productionID) }
            adopt: { token_id: \(adoptedTokenID) }
            targets:
              - github: { repo: acme/api, secret: ENVSHED_TOKEN }
              - github: { repo: acme/api, environment: production, secret: ENVSHED_TOKEN }
            verify:
              expect_keys: [DATABASE_URL]
          - id: web-staging-ci
            purpose: Web preview builds
            scope: environment
            project: { slug: api, id: \(Self.projectID) }
            environment: { slug: staging, id: \(Self.stagingID) }
            targets:
              - github: { repo: acme/web, secret: ENVSHED_TOKEN }

        """
    }

    /// Which token each target holds: the emulator decrypts what it received; we match the value
    /// against the tokens Envshed knows and print only the token's id, name and fingerprint.
    func targetReport() -> [String] {
        let targets: [(String, String?, String)] = [
            ("acme/api", nil, "ENVSHED_TOKEN"), ("acme/api", "production", "ENVSHED_TOKEN"), ("acme/web", nil, "ENVSHED_TOKEN"),
        ]
        return targets.map { repository, environment, name in
            let label = "github:\(repository)\(environment.map { "@\($0)" } ?? "")/\(name)"
            guard let value = github.secretValue(repository: repository, environment: environment, name: name) else {
                return "  \(label): (empty)"
            }
            let fingerprint = Secret(value).fingerprint
            guard let token = envshed.tokens.first(where: { $0.value == value }) else {
                return "  \(label): a value Envshed does not know (fingerprint \(fingerprint))"
            }
            return "  \(label): \"\(token.name)\" (\(token.id), fingerprint \(fingerprint)) — \(token.isLive ? "live" : "REVOKED")"
        }
    }

    func tokenReport() -> [String] {
        envshed.tokens.map { token in
            let state = token.revokedAt != nil ? "revoked" : (token.isLive ? "live" : "expired")
            return "  \(state.padding(toLength: 8, withPad: " ", startingAt: 0)) \(token.id)  \"\(token.name)\"  \(token.scope)/\(token.permission)"
        }
    }
}
