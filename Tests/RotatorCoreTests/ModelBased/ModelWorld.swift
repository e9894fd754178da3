import Foundation
import GRDB
import Logging
import RotatorCore
import RotatorEmulators
import Synchronization
import Testing

/// The world of one model case: fresh Envshed, GitHub, GitLab and Kubernetes emulators on
/// loopback, a folder for the plan, the state directory and the file targets, a test clock, and
/// the plan generated from the case. Runs the rotator in-process against it.
final class ModelWorld: Sendable {
    static let org = "acme"
    static let projectID = "3f1c2b7e-5a1d-4c3e-9b8a-2d4f6e8a0c11"
    static let environmentIDs = ["production": "9ab2c4d6-1e3f-4a5b-8c7d-0e1f2a3b4c5d", "staging": "7c6d5e4f-3a2b-4c1d-9e8f-7a6b5c4d3e2f"]
    /// A key of the shared Kubernetes Secret that no rotation writes: it must never disappear.
    static let unrelatedKey = "unrelated"

    let model: ModelCase
    let envshed: EnvshedEmulator
    let github: GitHubEmulator
    let gitlab: GitLabEmulator
    let kubernetes: KubernetesEmulator
    /// Project `acme/platform` with the group `shared` (id 1) every Azure DevOps target writes.
    let azureDevOps: AzureDevOpsEmulator
    static let azureDevOpsGroupID = 1
    /// A secret of the shared group that no rotation writes: it must keep its value.
    static let unrelatedVariable = "UNRELATED_SECRET"
    let servers: [EmulatorServer]
    let directory: String
    let credentials: [String: String]
    let clock = VirtualClock()
    let network = ProductionTransport.make()
    /// Rotation id → the token it adopts.
    let adopted: [String: String]
    /// Tokens no rotation manages or adopts: the bot must never revoke them.
    let foreign: [String]
    /// The live I1 monitor's findings: revocations of a live token that a target held right then.
    private let monitorFindings = Mutex<[String]>([])
    /// The rotation whose held token the current run may revoke (`--revoke-old first|immediately`).
    private let revocationAllowed = Mutex<String?>(nil)

    var stateDirectory: String { directory + "/state" }
    var filesDirectory: String { directory + "/files" }
    var planPath: String { directory + "/plan.yaml" }

    private init(
        model: ModelCase, emulators: (EnvshedEmulator, GitHubEmulator, GitLabEmulator, KubernetesEmulator), azureDevOps: AzureDevOpsEmulator,
        servers: [EmulatorServer], directory: String, credentials: [String: String], adopted: [String: String], foreign: [String]
    ) {
        self.model = model
        self.azureDevOps = azureDevOps
        (envshed, github, gitlab, kubernetes) = emulators
        self.servers = servers
        self.directory = directory
        self.credentials = credentials
        self.adopted = adopted
        self.foreign = foreign
    }

    static func start(_ model: ModelCase) async throws -> ModelWorld {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rotator-mbt-\(model.seed)-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: directory + "/files", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/logs", withIntermediateDirectories: true)
        func credential(_ prefix: String) -> String { prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }
        let credentials = [
            "ENVSHED_TOKEN": credential("envshed_admin_"), "GITHUB_TOKEN": credential("ghp_"), "GITLAB_TOKEN": credential("glpat-"),
            "KUBE_TOKEN": credential("kube-sa-"), "AZURE_DEVOPS_PAT": credential("azdo-pat-"),
        ]
        let envshed = EnvshedEmulator(org: org, adminToken: credentials["ENVSHED_TOKEN"]!)
        envshed.addProject(slug: "api", id: projectID)
        for (slug, id) in environmentIDs.sorted(by: { $0.key < $1.key }) {
            envshed.addEnvironment(project: "api", slug: slug, id: id, secrets: ["DATABASE_URL": "postgres://\(slug)"])
        }
        let github = GitHubEmulator(acceptedTokens: [credentials["GITHUB_TOKEN"]!])
        github.addRepository("acme/api", id: 101, environments: ["production"])
        github.addRepository("acme/web", id: 102)
        github.addOrganization("acme")
        let gitlab = GitLabEmulator(acceptedTokens: [credentials["GITLAB_TOKEN"]!])
        gitlab.addProject(path: "acme/api", id: 201)
        let kubernetes = KubernetesEmulator(acceptedTokens: [credentials["KUBE_TOKEN"]!])
        kubernetes.addNamespace("api")

        // Two tokens made by hand for other uses, and the tokens rotations adopt, each already in
        // the targets it can be put in without the bot (GitHub secrets are sealed: left empty).
        var foreign: [String] = []
        for environment in ["production", "staging"] {
            foreign.append(envshed.seedToken(
                name: "hand-made \(environment)", scope: "environment", projectID: projectID, environmentID: environmentIDs[environment],
                permission: "read", expiresAt: Date().addingTimeInterval(90 * 86_400)
            ).id)
        }
        var adopted: [String: String] = [:]
        var secretData = [unrelatedKey: "not-a-token"]
        var groupVariables = [unrelatedVariable: AzureDevOpsStoredVariable(value: "unrelated-value-kept", isSecret: true)]
        for rotation in model.rotations {
            guard let days = rotation.adoptExpiresInDays else { continue }
            let token = envshed.seedToken(
                name: "adopted \(rotation.id)", scope: "environment", projectID: projectID, environmentID: environmentIDs[rotation.environment],
                permission: "read", expiresAt: Date().addingTimeInterval(Double(days) * 86_400)
            )
            adopted[rotation.id] = token.id
            for target in rotation.targets {
                switch target {
                case .gitlabProject(let project, let variable):
                    gitlab.seedVariable(project: project, GitLabStoredVariable(key: variable, value: token.value, masked: true, raw: true))
                case .kubernetes(_, _, let key):
                    secretData[key] = token.value
                case .file(let name):
                    _ = FileManager.default.createFile(atPath: directory + "/files/" + name, contents: Data(token.value.utf8), attributes: [.posixPermissions: 0o600])
                case .githubRepository, .githubEnvironment:
                    break
                case .azureDevOps(let variable):
                    groupVariables[variable] = AzureDevOpsStoredVariable(value: token.value, isSecret: true)
                }
            }
        }
        kubernetes.addSecret(namespace: "api", name: "envshed", data: secretData)
        let azureDevOps = AzureDevOpsEmulator(acceptedTokens: [credentials["AZURE_DEVOPS_PAT"]!])
        azureDevOps.addProject(organization: "acme", project: "platform")
        azureDevOps.addGroup(organization: "acme", project: "platform", id: azureDevOpsGroupID, name: "shared", variables: groupVariables)

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
        let world = ModelWorld(
            model: model, emulators: (envshed, github, gitlab, kubernetes), azureDevOps: azureDevOps, servers: servers, directory: directory,
            credentials: credentials, adopted: adopted, foreign: foreign
        )
        try world.planYAML.write(toFile: world.planPath, atomically: true, encoding: .utf8)
        envshed.observe { [world] request in world.monitor(request) }
        return world
    }

    func stop() async {
        for server in servers { await server.stop() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    var githubHost: String { "127.0.0.1:\(servers[1].baseURL.port ?? 0)" }

    var planYAML: String {
        var lines = [
            "version: 1",
            "state_dir: \(stateDirectory)",
            "concurrency: \(model.concurrency)",
            "http_timeout_seconds: 5",
            "envshed:",
            "  api_url: \(servers[0].baseURL.absoluteString)",
            "  org: \(Self.org)",
            "  token: env:ENVSHED_TOKEN",
            "providers:",
            "  github:",
            "    api_url: \(servers[1].baseURL.absoluteString)",
            "    token: env:GITHUB_TOKEN",
            "    writes_per_minute: 6000",
            "  gitlab:",
            "    api_url: \(servers[2].baseURL.absoluteString)/api/v4",
            "    token: env:GITLAB_TOKEN",
            "  kubernetes:",
            "    api_url: \(servers[3].baseURL.absoluteString)",
            "    token: env:KUBE_TOKEN",
            "  azure_devops:",
            "    api_url: \(servers[4].baseURL.absoluteString)",
            "    token: env:AZURE_DEVOPS_PAT",
            "    writes_per_minute: 6000",
            "defaults:",
            "  expires_in_days: 30",
            "  rotate_before_days: 7",
            "rotations:",
        ]
        for rotation in model.rotations {
            lines += [
                "  - id: \(rotation.id)",
                "    purpose: Model \(rotation.id)",
                "    scope: environment",
                "    project: { slug: api, id: \(Self.projectID) }",
                "    environment: { slug: \(rotation.environment), id: \(Self.environmentIDs[rotation.environment]!) }",
                "    grace_minutes: \(rotation.graceMinutes)",
            ]
            if let token = adopted[rotation.id] { lines.append("    adopt: { token_id: \(token) }") }
            lines.append("    targets:")
            lines += rotation.targets.map { "      - " + $0.yaml(files: filesDirectory) }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Running

    /// Runs `command` in-process with this world's clock, credentials and `transport`, logging
    /// JSON lines through the production log handler into `logPath`.
    func execute(_ command: ModelCase.Command, transport: any HTTPTransport, logPath: String) async -> OperationResult {
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let handle = FileHandle(forWritingAtPath: logPath)!
        defer { try? handle.close() }
        let sink = LineSink(handle: handle)
        let logger = Logger(label: "envshed-rotator") { _ in StderrLogHandler(format: .json, level: .trace, sink: sink) }
        var variables = credentials
        variables["USER"] = "model-test"
        variables["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let clock = clock
        let environment = RotatorEnvironment(
            variables: variables, transport: transport, logger: logger, now: { clock.now() }, sleep: { try await clock.sleep($0) }
        )
        let rotator = Rotator(environment: environment, planPath: planPath)
        switch command {
        case .run:
            return await rotator.run(only: [], json: false)
        case .rotate(let id, let emergency, let revokeOld):
            let request = RotateRequest(
                rotationID: id, reason: "model-based test", emergency: emergency, revokeOld: revokeOld, assumeYes: true, waitForLock: .zero
            )
            return await rotator.rotate(request, console: SilentConsole())
        }
    }

    // MARK: - Live I1 monitor

    /// SPEC I1 as it happens: when a revocation reaches Envshed, no target may hold that token if
    /// it is still live. Catches an outage that a later step of the same run would hide.
    private func monitor(_ request: ObservedRequest) {
        guard request.phase == .received, request.method == "DELETE", request.path.contains("/service-tokens/") else { return }
        let id = String(request.path.split(separator: "/").last ?? "")
        guard let token = envshed.token(id: id), token.revokedAt == nil else { return }
        let allowed = revocationAllowed.withLock { $0 }
        for rotation in model.rotations where rotation.id != allowed {
            for target in rotation.targets where value(of: target) == token.value {
                monitorFindings.withLock { $0.append("token \(id) was revoked while \(target) (\(rotation.id)) held it") }
            }
        }
    }

    /// Takes the monitor's findings so far, and sets which rotation the next run may revoke a held token of.
    func takeMonitorFindings(allowingHeldRevocationOf rotationID: String? = nil) -> [String] {
        revocationAllowed.withLock { $0 = rotationID }
        return monitorFindings.withLock { findings in defer { findings = [] }; return findings }
    }

    // MARK: - Targets

    /// What `target` holds now, read from the emulator's store (GitHub's sealed box opened).
    func value(of target: ModelTarget) -> String? {
        switch target {
        case .githubRepository(let repository, let secret):
            github.secretValue(repository: repository, name: secret)
        case .githubEnvironment(let repository, let environment, let secret):
            github.secretValue(repository: repository, environment: environment, name: secret)
        case .gitlabProject(let project, let variable):
            gitlab.variable(project: project, key: variable)?.value
        case .kubernetes(let namespace, let secret, let key):
            kubernetes.secretValue(namespace: namespace, name: secret, key: key)
        case .file(let name):
            (try? Data(contentsOf: URL(fileURLWithPath: filesDirectory + "/" + name))).map { String(decoding: $0, as: UTF8.self) }
        case .azureDevOps(let variable):
            azureDevOps.variable(groupID: Self.azureDevOpsGroupID, name: variable)?.value
        }
    }

    // MARK: - State directory

    /// Copies the state directory as a killed process leaves it: the database through SQLite's
    /// online backup (committed transactions only, even while the run writes), the other files as
    /// they are.
    func snapshotState(to destination: String) {
        try? FileManager.default.removeItem(atPath: destination)
        try? FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        let database = stateDirectory + "/" + SQLiteStateStore.fileName
        if FileManager.default.fileExists(atPath: database) {
            do {
                var configuration = Configuration()
                configuration.readonly = true
                let source = try DatabaseQueue(path: database, configuration: configuration)
                let copy = try DatabaseQueue(path: destination + "/" + SQLiteStateStore.fileName)
                try source.backup(to: copy)
                try copy.close()
                try source.close()
            } catch {
                Issue.record("model test: cannot back up \(database): \(error)")
            }
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: stateDirectory)) ?? []
        where !name.hasPrefix(SQLiteStateStore.fileName) && name != "lock" {
            try? FileManager.default.copyItem(atPath: stateDirectory + "/" + name, toPath: destination + "/" + name)
        }
    }

    /// Replaces the state directory by a snapshot (or removes it, for a snapshot of no state).
    func restoreState(from snapshot: String) {
        try? FileManager.default.removeItem(atPath: stateDirectory)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: snapshot)) ?? []
        guard !names.isEmpty else { return }
        try? FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for name in names {
            try? FileManager.default.copyItem(atPath: snapshot + "/" + name, toPath: stateDirectory + "/" + name)
            // As the tool keeps them: a restore from a backup must not be refused for its modes.
            chmod(stateDirectory + "/" + name, 0o600)
        }
    }

    func loseState() {
        try? FileManager.default.removeItem(atPath: stateDirectory)
    }

    /// At the kill: the file targets' folder is swapped for an empty one first, so that nothing
    /// the still-running code writes afterwards lands in the real one (a killed process writes
    /// nothing); then the state is copied, which therefore holds nothing the files contradict.
    func killed(snapshot: String) {
        let frozen = snapshot + "-files"
        do {
            try FileManager.default.moveItem(atPath: filesDirectory, toPath: frozen)
            try FileManager.default.createDirectory(atPath: filesDirectory, withIntermediateDirectories: true)
        } catch {
            Issue.record("model test: cannot freeze the file targets at the kill: \(error)")
        }
        snapshotState(to: snapshot)
    }

    /// After the "killed" run returned: the state and the file targets as the kill left them.
    func buryKilledRun(snapshot: String) {
        restoreState(from: snapshot)
        do {
            try FileManager.default.removeItem(atPath: filesDirectory)
            try FileManager.default.moveItem(atPath: snapshot + "-files", toPath: filesDirectory)
        } catch {
            Issue.record("model test: cannot restore the file targets as the kill left them: \(error)")
        }
    }

    /// Every file of the state directory, for the leak scan.
    var stateFiles: [(name: String, bytes: Data)] {
        guard let names = FileManager.default.enumerator(atPath: stateDirectory) else { return [] }
        return names.compactMap { name in
            guard let name = name as? String, let data = FileManager.default.contents(atPath: stateDirectory + "/" + name) else { return nil }
            return (name, data)
        }
    }
}
