import Foundation
import RotatorEmulators
import Synchronization
import Testing
import _CryptoExtras

/// One test's world: fresh Envshed, GitHub, GitLab and Kubernetes emulators on loopback, a private
/// working folder for the plan and the state, and the credentials the binary gets through its
/// environment.
final class Scenario: Sendable {
    static let org = "acme"
    static let projectID = "3f1c2b7e-5a1d-4c3e-9b8a-2d4f6e8a0c11"
    static let productionID = "9ab2c4d6-1e3f-4a5b-8c7d-0e1f2a3b4c5d"
    static let stagingID = "7c6d5e4f-3a2b-4c1d-9e8f-7a6b5c4d3e2f"
    static let day: TimeInterval = 86_400

    static let gitlabProjectID = 201
    static let gitlabGroupID = 301
    static let appID = 12345
    static let installationID = 678
    static let azureDevOpsGroupID = 7
    /// The value of the secret `DB_PASSWORD` someone else keeps in the shared Azure DevOps group.
    static let azureDevOpsKeptSecret = "kept-db-password-" + String(repeating: "p4", count: 8)

    let envshed: EnvshedEmulator
    let github: GitHubEmulator
    let gitlab: GitLabEmulator
    let kubernetes: KubernetesEmulator
    /// Azure DevOps: project `acme/platform` with variable group 7 `deploy-tokens`.
    let azureDevOps: AzureDevOpsEmulator
    let azureDevOpsServer: EmulatorServer
    let azureDevOpsToken: String
    let envshedServer: EmulatorServer
    let githubServer: EmulatorServer
    let gitlabServer: EmulatorServer
    let kubernetesServer: EmulatorServer
    let directory: String
    let adminToken: String
    let githubToken: String
    let gitlabToken: String
    let kubernetesToken: String
    /// Called for every request any emulator sees, in both phases.
    private let hooks = Mutex<[@Sendable (ObservedRequest) -> Void]>([])
    /// Every request event of every emulator, in the order the observers saw them.
    private let timeline = Mutex<[ObservedEvent]>([])
    /// SPEC I1 checked live, after every request of every emulator.
    private let monitor: OutageMonitor
    /// The output of every process the scenario started, killed ones included.
    private let runs = Mutex<[RotatorProcess.Result]>([])
    /// Writes a minute the plans allow each provider unless a test is about pacing: GitHub's
    /// default (60 a minute) would otherwise space requests and hide what a test asserts.
    static let unpacedWritesPerMinute = 60_000

    var stateDirectory: String { directory + "/state" }
    var planPath: String { directory + "/plan.yaml" }

    private init(
        envshed: EnvshedEmulator, github: GitHubEmulator, gitlab: GitLabEmulator, kubernetes: KubernetesEmulator,
        azureDevOps: AzureDevOpsEmulator, servers: [EmulatorServer], directory: String, tokens: [String]
    ) {
        self.azureDevOps = azureDevOps
        self.azureDevOpsServer = servers[4]
        self.azureDevOpsToken = tokens[4]
        self.envshed = envshed
        self.github = github
        self.gitlab = gitlab
        self.kubernetes = kubernetes
        self.envshedServer = servers[0]
        self.githubServer = servers[1]
        self.gitlabServer = servers[2]
        self.kubernetesServer = servers[3]
        self.directory = directory
        self.adminToken = tokens[0]
        self.githubToken = tokens[1]
        self.gitlabToken = tokens[2]
        self.kubernetesToken = tokens[3]
        self.monitor = OutageMonitor(
            envshed: envshed, github: github, gitlab: gitlab, kubernetes: kubernetes, directory: directory,
            excluding: [directory + "/state", directory + "/plan.yaml", directory + "/app.pem"], azureDevOps: azureDevOps
        )
    }

    /// Runs `body` in a fresh world and stops the emulators afterwards, whatever happened. Every
    /// test also checks the live I1 monitor: no token was revoked while a target held it.
    /// - Parameter allowingRevocationOfHeldTokens: only for `rotate --emergency --revoke-old
    ///   first|immediately`, SPEC I1's one explicit exception; such a test asserts the monitor's
    ///   findings itself (`outageViolations`).
    static func with(
        allowingRevocationOfHeldTokens: Bool = false, _ body: (Scenario) async throws -> Void,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let scenario = try await start()
        do {
            try await body(scenario)
        } catch {
            await scenario.stop()
            throw error
        }
        if !allowingRevocationOfHeldTokens {
            #expect(scenario.outageViolations.isEmpty, "I1 broken: \(scenario.outageViolations)", sourceLocation: sourceLocation)
        }
        await scenario.stop()
    }

    /// The org of the tests: project `api` with `production` and `staging`; repositories
    /// `acme/api` (environment `production`) and `acme/web` of the GitHub organization `acme`;
    /// GitLab project `acme/api` and group `acme`; Kubernetes namespace `api` with Deployment `api`.
    static func start() async throws -> Scenario {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rotator-it-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let adminToken = "envshed_admin_" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let githubToken = "ghp_" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let envshed = EnvshedEmulator(org: org, adminToken: adminToken)
        envshed.addProject(slug: "api", id: projectID)
        envshed.addEnvironment(project: "api", slug: "production", id: productionID, secrets: ["DATABASE_URL": "postgres://db", "API_KEY": "k"])
        envshed.addEnvironment(project: "api", slug: "staging", id: stagingID, secrets: ["DATABASE_URL": "postgres://staging"])
        let github = GitHubEmulator(acceptedTokens: [githubToken])
        github.addRepository("acme/api", id: 101, environments: ["production"])
        github.addRepository("acme/web", id: 102)
        github.addRepository("other/tool", id: 999)
        github.addOrganization("acme")
        let gitlabToken = "glpat-" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let gitlab = GitLabEmulator(acceptedTokens: [gitlabToken])
        gitlab.addProject(path: "acme/api", id: gitlabProjectID)
        gitlab.addGroup(path: "acme", id: gitlabGroupID)
        let kubernetesToken = "kube-sa-" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let kubernetes = KubernetesEmulator(acceptedTokens: [kubernetesToken])
        kubernetes.addNamespace("api")
        kubernetes.addDeployment(namespace: "api", name: "api")
        let azureDevOpsToken = "azdo-pat-" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let azureDevOps = AzureDevOpsEmulator(acceptedTokens: [azureDevOpsToken])
        azureDevOps.addProject(organization: "acme", project: "platform")
        azureDevOps.addGroup(
            organization: "acme", project: "platform", id: Self.azureDevOpsGroupID, name: "deploy-tokens",
            variables: [
                "REGION": AzureDevOpsStoredVariable(value: "westeurope", isSecret: false),
                "DB_PASSWORD": AzureDevOpsStoredVariable(value: Self.azureDevOpsKeptSecret, isSecret: true),
            ]
        )
        var servers: [EmulatorServer] = []
        do {
            servers.append(try await envshed.start())
            servers.append(try await github.start())
            servers.append(try await gitlab.start())
            servers.append(try await kubernetes.start())
            servers.append(try await azureDevOps.start())
        } catch {
            for server in servers { await server.stop() }
            throw error
        }
        let scenario = Scenario(
            envshed: envshed, github: github, gitlab: gitlab, kubernetes: kubernetes, azureDevOps: azureDevOps, servers: servers,
            directory: directory, tokens: [adminToken, githubToken, gitlabToken, kubernetesToken, azureDevOpsToken]
        )
        envshed.observe { [scenario] request in scenario.observed(.envshed, request) }
        github.observe { [scenario] request in scenario.observed(.github, request) }
        gitlab.observe { [scenario] request in scenario.observed(.gitlab, request) }
        kubernetes.observe { [scenario] request in scenario.observed(.kubernetes, request) }
        azureDevOps.observe { [scenario] request in scenario.observed(.azureDevOps, request) }
        return scenario
    }

    /// Adds a hook called for every request any emulator sees (on arrival and after handling).
    func onRequest(_ hook: @escaping @Sendable (ObservedRequest) -> Void) {
        hooks.withLock { $0.append(hook) }
    }

    private func observed(_ host: ObservedEvent.Host, _ request: ObservedRequest) {
        timeline.withLock { $0.append(ObservedEvent(host: host, request: request, at: .now, date: Date())) }
        monitor.check()
        for hook in hooks.withLock({ $0 }) { hook(request) }
    }

    /// Every request event of every emulator so far, in order.
    var events: [ObservedEvent] { timeline.withLock { $0 } }

    /// Revocations of a token a target still held (SPEC I1), seen by the live monitor.
    var outageViolations: [String] { monitor.violations }

    func stop() async {
        for server in [envshedServer, githubServer, gitlabServer, kubernetesServer, azureDevOpsServer] { await server.stop() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Registers a GitHub App with the emulator and writes its private key, mode 0600, where the
    /// plan's `private_key: file:` reference points. Returns that path.
    @discardableResult
    func enableGitHubApp() throws -> String {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        try github.addApp(id: Self.appID, installationID: Self.installationID, publicKeyPEM: key.publicKey.pemRepresentation)
        let path = appKeyPath
        guard FileManager.default.createFile(atPath: path, contents: Data(key.pemRepresentation.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        return path
    }

    var appKeyPath: String { directory + "/app.pem" }

    /// The `providers:` section for every emulator; GitHub by token, or by App when `githubApp`.
    func providersYAML(githubApp: Bool = false, writesPerMinute: Int = unpacedWritesPerMinute, maxConcurrent: Int? = nil) -> String {
        let budget = "writes_per_minute: \(writesPerMinute)" + (maxConcurrent.map { "\n    max_concurrent: \($0)" } ?? "")
        let githubAuth = githubApp
            ? "app: { id: \(Self.appID), installation_id: \(Self.installationID), private_key: file:\(appKeyPath) }"
            : "token: env:GITHUB_TOKEN"
        return """
            providers:
              github:
                api_url: \(githubServer.baseURL.absoluteString)
                \(githubAuth)
                \(budget)
              gitlab:
                api_url: \(gitlabServer.baseURL.absoluteString)/api/v4
                token: env:GITLAB_TOKEN
                \(budget)
              kubernetes:
                api_url: \(kubernetesServer.baseURL.absoluteString)
                token: env:KUBE_TOKEN
                \(budget)
              azure_devops:
                api_url: \(azureDevOpsServer.baseURL.absoluteString)
                token: env:AZURE_DEVOPS_PAT
                \(budget)
            """
    }

    /// A plan with one due rotation, `fanout`, adopting `adopt`, writing `targets` (YAML list
    /// items, one per line, without the leading `- `).
    func targetsPlan(adopt: String, targets: [String], githubApp: Bool = false) -> String {
        """
        version: 1
        state_dir: \(stateDirectory)
        envshed:
          api_url: \(envshedServer.baseURL.absoluteString)
          org: acme
          token: env:ENVSHED_TOKEN
        \(providersYAML(githubApp: githubApp).split(separator: "\n").map { String($0) }.joined(separator: "\n"))
        defaults:
          expires_in_days: 30
          rotate_before_days: 7
        rotations:
          - id: fanout
            purpose: Fan-out
            scope: environment
            project: { slug: api, id: \(Self.projectID) }
            environment: { slug: production, id: \(Self.productionID) }
            adopt: { token_id: \(adopt) }
            targets:
        \(targets.map { "      - \($0)" }.joined(separator: "\n"))

        """
    }

    /// One rotation of `rotationsPlan`: its id, the token it adopts (if any) and its targets (YAML
    /// list items without the leading `- `).
    struct PlannedRotation {
        let id: String
        let adopt: String?
        let targets: [String]
    }

    /// A plan of several rotations of `api/production`, run `concurrency` at a time, with every
    /// provider's budget (`writes_per_minute`, `max_concurrent`) as given.
    func rotationsPlan(
        _ rotations: [PlannedRotation], concurrency: Int = 8, writesPerMinute: Int = unpacedWritesPerMinute, maxConcurrent: Int? = nil
    ) -> String {
        let providers = providersYAML(writesPerMinute: writesPerMinute, maxConcurrent: maxConcurrent)
        var plan = """
            version: 1
            state_dir: \(stateDirectory)
            concurrency: \(concurrency)
            envshed:
              api_url: \(envshedServer.baseURL.absoluteString)
              org: acme
              token: env:ENVSHED_TOKEN
            \(providers.split(separator: "\n").joined(separator: "\n"))
            defaults:
              expires_in_days: 30
              rotate_before_days: 7
              grace_minutes: 0
            rotations:

            """
        for rotation in rotations {
            plan += """
                  - id: \(rotation.id)
                    purpose: \(rotation.id)
                    scope: environment
                    project: { slug: api, id: \(Self.projectID) }
                    environment: { slug: production, id: \(Self.productionID) }
                \(rotation.adopt.map { "    adopt: { token_id: \($0) }" } ?? "")
                    targets:
                \(rotation.targets.map { "      - \($0)" }.joined(separator: "\n"))

                """
        }
        return plan
    }

    /// A token in use before the bot, expiring in `days`.
    func seedToken(environment: String = "production", expiresInDays days: Double) -> (id: String, value: String) {
        envshed.seedToken(
            name: "hand-made \(environment) token \(UUID().uuidString.prefix(4))", scope: "environment", projectID: Self.projectID,
            environmentID: environment == "production" ? Self.productionID : Self.stagingID, permission: "read",
            expiresAt: Date().addingTimeInterval(days * Self.day)
        )
    }

    /// The standard plan: `api-production-ci` writes two secrets of `acme/api`; `web-staging-ci`
    /// writes one of `acme/web`. `adopt` ids are optional.
    func standardPlan(
        adoptProduction: String? = nil, adoptStaging: String? = nil, warnBeforeDays: Int = 3, httpTimeoutSeconds: Int = 30,
        writesPerMinute: Int = unpacedWritesPerMinute
    ) -> String {
        """
        version: 1
        state_dir: \(stateDirectory)
        http_timeout_seconds: \(httpTimeoutSeconds)
        envshed:
          api_url: \(envshedServer.baseURL.absoluteString)
          org: acme
          token: env:ENVSHED_TOKEN
        providers:
          github:
            api_url: \(githubServer.baseURL.absoluteString)
            token: env:GITHUB_TOKEN
            writes_per_minute: \(writesPerMinute)
        defaults:
          expires_in_days: 30
          rotate_before_days: 7
          warn_before_days: \(warnBeforeDays)
        rotations:
          - id: api-production-ci
            purpose: GitHub Actions deploy
            scope: environment
            project: { slug: api, id: \(Self.projectID) }
            environment: { slug: production, id: \(Self.productionID) }
        \(adoptProduction.map { "    adopt: { token_id: \($0) }" } ?? "")
            targets:
              - github: { repo: acme/api, secret: ENVSHED_TOKEN }
              - github: { repo: acme/api, environment: production, secret: ENVSHED_TOKEN }
            verify:
              expect_keys: [DATABASE_URL]
          - id: web-staging-ci
            purpose: Web previews
            scope: environment
            project: { slug: api, id: \(Self.projectID) }
            environment: { slug: staging, id: \(Self.stagingID) }
        \(adoptStaging.map { "    adopt: { token_id: \($0) }" } ?? "")
            targets:
              - github: { repo: acme/web, secret: ENVSHED_TOKEN }

        """
    }

    func writePlan(_ yaml: String) throws {
        try yaml.write(toFile: planPath, atomically: true, encoding: .utf8)
    }

    /// Runs the binary with the plan and every credential in its environment; logs as JSON lines.
    func rotator(
        _ arguments: [String], extraEnvironment: [String: String] = [:], journal: Bool = false, stdin: Data? = nil
    ) async throws -> RotatorProcess.Result {
        try await startRotator(arguments, extraEnvironment: extraEnvironment, journal: journal, stdin: stdin).wait()
    }

    /// Every process this scenario started, finished or killed: their output is scanned for leaks.
    var finishedRuns: [RotatorProcess.Result] { runs.withLock { $0 } }

    /// Starts the binary without waiting, for tests that signal it.
    func startRotator(
        _ arguments: [String], extraEnvironment: [String: String] = [:], journal: Bool = false, stdin: Data? = nil
    ) throws -> RotatorProcess.Running {
        var environment = [
            "ENVSHED_TOKEN": adminToken, "GITHUB_TOKEN": githubToken, "GITLAB_TOKEN": gitlabToken, "KUBE_TOKEN": kubernetesToken,
            "AZURE_DEVOPS_PAT": azureDevOpsToken,
        ]
        environment.merge(extraEnvironment) { _, new in new }
        let running = try RotatorProcess.start(arguments + ["--config", planPath, "--log-format", "json"], environment: environment, in: directory, journal: journal, stdin: stdin)
        running.onFinish { [self] result in runs.withLock { $0.append(result) } }
        return running
    }

    /// Every request either emulator received, as "METHOD path" lines.
    var allRequests: [RecordedRequest] { envshed.requests + github.requests + gitlab.requests + kubernetes.requests + azureDevOps.requests }
    var writeRequests: [RecordedRequest] { allRequests.filter(\.isWrite) }

    /// The token value a GitHub secret holds, decrypted by the emulator.
    func githubSecret(_ repository: String, environment: String? = nil, name: String = "ENVSHED_TOKEN") -> String? {
        github.secretValue(repository: repository, environment: environment, name: name)
    }

    func token(withValue value: String?) -> EmulatedServiceToken? {
        guard let value else { return nil }
        return envshed.tokens.first { $0.value == value }
    }

    /// Asserts that no token the Envshed emulator ever issued, nor any credential, appears — raw,
    /// base64 or percent-encoded (`SecretForms`) — in the bytes any process of this scenario printed
    /// (killed runs included, `results` too) or in any file of the state directory (database, WAL,
    /// audit log, metrics), or in `files`.
    func expectNoSecretsLeaked(_ results: [RotatorProcess.Result], files: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws {
        var secrets = envshed.tokens.map(\.value) + [adminToken, githubToken, gitlabToken, kubernetesToken, azureDevOpsToken, Self.azureDevOpsKeptSecret]
        secrets += github.installationTokens.map(\.value)
        if let pem = try? String(contentsOfFile: appKeyPath, encoding: .utf8) {
            // The key's base64 lines; any one of them appearing would be a leak.
            secrets += pem.split(separator: "\n").filter { !$0.hasPrefix("-----") && $0.count >= 32 }.map(String.init)
        }
        var haystacks: [(String, Data)] = (results + finishedRuns).enumerated().flatMap { index, result in
            [("stdout of run \(index)", result.stdoutBytes), ("stderr of run \(index)", result.stderrBytes)]
        }
        var paths = files
        if let entries = FileManager.default.enumerator(atPath: stateDirectory) {
            for case let file as String in entries { paths.append(stateDirectory + "/" + file) }
        }
        for path in paths {
            if let data = FileManager.default.contents(atPath: path) { haystacks.append((path, data)) }
        }
        #expect(haystacks.contains { $0.0.hasSuffix("state.sqlite") } || !FileManager.default.fileExists(atPath: stateDirectory), sourceLocation: sourceLocation)
        for secret in secrets {
            // A value could also leak in part: its distinctive tail must not appear either.
            let forms = SecretForms.of(secret) + [("tail", Data(secret.suffix(16).utf8))]
            for (name, bytes) in haystacks {
                for (form, needle) in forms where bytes.range(of: needle) != nil {
                    Issue.record("a secret value appears \(form) in \(name)", sourceLocation: sourceLocation)
                }
            }
        }
    }
}
