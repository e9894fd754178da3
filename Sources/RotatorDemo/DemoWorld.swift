import Foundation
import RotatorCore
import RotatorEmulators

/// The demo's organisation: one Envshed org with a project and two environments; a GitHub
/// organization with two repositories, reached as a GitHub App; a GitLab project and group; a
/// Kubernetes namespace with a Deployment; a token in use today that expires in five days
/// (adopted, so due) and fans out to all five kinds of target; and a second rotation that has no
/// token yet.
struct DemoWorld: Sendable {
    let envshedAdminToken = "demo-envshed-admin-" + UUID().uuidString.lowercased()
    let gitlabToken = "demo-gitlab-" + UUID().uuidString.lowercased()
    let kubernetesToken = "demo-kubernetes-" + UUID().uuidString.lowercased()
    let azureDevOpsToken = "demo-azure-devops-" + UUID().uuidString.lowercased()
    let envshed: EnvshedEmulator
    let github: GitHubEmulator
    let gitlab: GitLabEmulator
    let kubernetes: KubernetesEmulator
    /// Azure DevOps project `acme/platform`, variable group `pipeline-tokens` (id 12), shared by both rotations.
    let azureDevOps: AzureDevOpsEmulator
    static let azureDevOpsGroupID = 12
    let adoptedTokenID: String
    /// The App's private key, as GitHub would let you download it; written to the demo folder 0600.
    let appPrivateKeyPEM: String

    static let projectID = "3f1c2b7e-5a1d-4c3e-9b8a-2d4f6e8a0c11"
    static let productionID = "9ab2c4d6-1e3f-4a5b-8c7d-0e1f2a3b4c5d"
    static let stagingID = "7c6d5e4f-3a2b-4c1d-9e8f-7a6b5c4d3e2f"
    static let appID = 12345
    static let installationID = 678

    /// Where the emulators listen.
    struct Endpoints {
        var envshed: URL
        var github: URL
        var gitlab: URL
        var kubernetes: URL
        var azureDevOps: URL? = nil
    }

    init() throws {
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
        github = GitHubEmulator(acceptedTokens: [])
        github.addRepository("acme/api", id: 1_296_269, environments: ["production"])
        github.addRepository("acme/web", id: 1_296_270)
        github.addOrganization("acme")
        appPrivateKeyPEM = try github.addApp(id: Self.appID, installationID: Self.installationID)
        gitlab = GitLabEmulator(acceptedTokens: [gitlabToken])
        gitlab.addProject(path: "acme/api", id: 4_242)
        gitlab.addGroup(path: "acme", id: 77)
        kubernetes = KubernetesEmulator(acceptedTokens: [kubernetesToken])
        kubernetes.addNamespace("api")
        kubernetes.addDeployment(namespace: "api", name: "api")
        azureDevOps = AzureDevOpsEmulator(acceptedTokens: [azureDevOpsToken])
        azureDevOps.addProject(organization: "acme", project: "platform")
        azureDevOps.addGroup(
            organization: "acme", project: "platform", id: Self.azureDevOpsGroupID, name: "pipeline-tokens",
            variables: ["REGISTRY": AzureDevOpsStoredVariable(value: "acme.azurecr.io", isSecret: false)]
        )
    }

    /// The file target's path inside the demo's temporary folder.
    static func tokenFile(in directory: String) -> String { directory + "/agent/envshed-token" }

    func plan(_ endpoints: Endpoints, directory: String) -> String {
        """
        version: 1
        envshed:
          api_url: \(endpoints.envshed.absoluteString)
          org: acme
          token: env:ENVSHED_TOKEN
        providers:
          github:
            api_url: \(endpoints.github.absoluteString)
            app: { id: \(Self.appID), installation_id: \(Self.installationID), private_key: file:\(directory)/app.pem }
          gitlab:
            api_url: \(endpoints.gitlab.absoluteString)/api/v4
            token: env:GITLAB_TOKEN
          kubernetes:
            api_url: \(endpoints.kubernetes.absoluteString)
            token: env:KUBE_TOKEN
          azure_devops:
            api_url: \(endpoints.azureDevOps?.absoluteString ?? AzureDevOpsSettings.defaultAPIURL)
            token: env:AZURE_DEVOPS_PAT
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
              - github: { org: acme, secret: ENVSHED_TOKEN, visibility: selected, repos: [acme/api] }
              - gitlab: { project: acme/api, variable: ENVSHED_TOKEN, environment_scope: production, masked: true, protected: true }
              - kubernetes: { namespace: api, secret: envshed, key: ENVSHED_TOKEN, restart: deployment/api }
              - file: { path: \(Self.tokenFile(in: directory)), mode: "0600", then: [test, -s, \(Self.tokenFile(in: directory))] }
              - azure_devops: { organization: acme, project: platform, group: pipeline-tokens, variable: ENVSHED_TOKEN }
            verify:
              expect_keys: [DATABASE_URL]
          - id: web-staging-ci
            purpose: Web preview builds
            scope: environment
            project: { slug: api, id: \(Self.projectID) }
            environment: { slug: staging, id: \(Self.stagingID) }
            targets:
              - github: { repo: acme/web, secret: ENVSHED_TOKEN }
              - gitlab: { group: acme, variable: ENVSHED_STAGING_TOKEN, masked_and_hidden: true }
              - azure_devops: { organization: acme, project: platform, group: pipeline-tokens, variable: ENVSHED_STAGING_TOKEN }

        """
    }

    /// Which token each target holds, as each emulator decodes it (the file as read from disk); we
    /// match the value against the tokens Envshed knows and print only id, name and fingerprint.
    func targetReport(directory: String) -> [String] {
        let holdings: [(String, String?)] = [
            ("github:acme/api/ENVSHED_TOKEN", github.secretValue(repository: "acme/api", name: "ENVSHED_TOKEN")),
            ("github:acme/api@production/ENVSHED_TOKEN", github.secretValue(repository: "acme/api", environment: "production", name: "ENVSHED_TOKEN")),
            ("github:org/acme/ENVSHED_TOKEN", github.organizationSecretValue(org: "acme", name: "ENVSHED_TOKEN")),
            ("gitlab:acme/api/ENVSHED_TOKEN[production]", gitlab.variable(project: "acme/api", key: "ENVSHED_TOKEN", environmentScope: "production")?.value),
            ("kubernetes:api/envshed#ENVSHED_TOKEN", kubernetes.secretValue(namespace: "api", name: "envshed", key: "ENVSHED_TOKEN")),
            ("file:\(Self.tokenFile(in: directory))", try? String(contentsOfFile: Self.tokenFile(in: directory), encoding: .utf8)),
            ("github:acme/web/ENVSHED_TOKEN", github.secretValue(repository: "acme/web", name: "ENVSHED_TOKEN")),
            ("gitlab:group:acme/ENVSHED_STAGING_TOKEN[*]", gitlab.variable(group: "acme", key: "ENVSHED_STAGING_TOKEN")?.value),
            ("azure_devops:acme/platform/pipeline-tokens#ENVSHED_TOKEN", azureDevOps.variable(groupID: Self.azureDevOpsGroupID, name: "ENVSHED_TOKEN")?.value),
            ("azure_devops:acme/platform/pipeline-tokens#ENVSHED_STAGING_TOKEN", azureDevOps.variable(groupID: Self.azureDevOpsGroupID, name: "ENVSHED_STAGING_TOKEN")?.value),
        ]
        var lines = holdings.map { label, value in
            guard let value else { return "  \(label): (empty)" }
            let fingerprint = Secret(value).fingerprint
            guard let token = envshed.tokens.first(where: { $0.value == value }) else {
                return "  \(label): a value Envshed does not know (fingerprint \(fingerprint))"
            }
            return "  \(label): \"\(token.name)\" (\(token.id), fingerprint \(fingerprint)) — \(token.isLive ? "live" : "REVOKED")"
        }
        if let restartedAt = kubernetes.deployment(namespace: "api", name: "api")?.templateAnnotations["kubectl.kubernetes.io/restartedAt"] {
            lines.append("  kubernetes:api deployment/api restarted at \(restartedAt)")
        }
        lines.append("  GitHub App installation tokens minted this run: \(github.installationTokens.count)")
        return lines
    }

    func tokenReport() -> [String] {
        envshed.tokens.map { token in
            let state = token.revokedAt != nil ? "revoked" : (token.isLive ? "live" : "expired")
            return "  \(state.padding(toLength: 8, withPad: " ", startingAt: 0)) \(token.id)  \"\(token.name)\"  \(token.scope)/\(token.permission)"
        }
    }
}
