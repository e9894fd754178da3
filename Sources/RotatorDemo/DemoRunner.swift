import Foundation
import Logging
import RotatorCore
import RotatorEmulators

/// `envshed-rotator demo`: the whole rotation against loopback emulators, with no credentials and
/// no network. Prints what a person needs to see that it worked: the plan, each step, and which
/// token every target holds at the end — by fingerprint, never by value.
public struct DemoRunner: Sendable {
    private let logger: Logger
    private let write: @Sendable (String) -> Void

    public init(logger: Logger, write: @escaping @Sendable (String) -> Void = { print($0) }) {
        self.logger = logger
        self.write = write
    }

    public func run() async -> ExitStatus {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("envshed-rotator-demo-\(UUID().uuidString.prefix(8))").path
        var servers: [EmulatorServer] = []
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let world = try DemoWorld()
            let envshedServer = try await world.envshed.start()
            servers.append(envshedServer)
            let githubServer = try await world.github.start()
            servers.append(githubServer)
            let gitlabServer = try await world.gitlab.start()
            servers.append(gitlabServer)
            let kubernetesServer = try await world.kubernetes.start()
            servers.append(kubernetesServer)
            let azureDevOpsServer = try await world.azureDevOps.start()
            servers.append(azureDevOpsServer)
            let endpoints = DemoWorld.Endpoints(
                envshed: envshedServer.baseURL, github: githubServer.baseURL, gitlab: gitlabServer.baseURL, kubernetes: kubernetesServer.baseURL,
                azureDevOps: azureDevOpsServer.baseURL
            )
            try FileManager.default.createDirectory(atPath: directory + "/agent", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            chmod(directory, 0o700)
            // The App's key, as GitHub lets you download it: a credential file only we may read.
            let keyPath = directory + "/app.pem"
            guard FileManager.default.createFile(atPath: keyPath, contents: Data(world.appPrivateKeyPEM.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: keyPath])
            }
            let planPath = directory + "/plan.yaml"
            let planText = world.plan(endpoints, directory: directory)
            try planText.write(toFile: planPath, atomically: true, encoding: .utf8)

            let environment = RotatorEnvironment(
                variables: [
                    "ENVSHED_TOKEN": world.envshedAdminToken, "GITLAB_TOKEN": world.gitlabToken, "KUBE_TOKEN": world.kubernetesToken,
                    "AZURE_DEVOPS_PAT": world.azureDevOpsToken,
                    "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                ],
                transport: CurlTransport(), logger: logger, stateDirectory: directory + "/state"
            )
            let rotator = Rotator(environment: environment, planPath: planPath)

            section("Emulators on loopback: Envshed \(envshedServer.baseURL.absoluteString), GitHub \(githubServer.baseURL.absoluteString), GitLab \(gitlabServer.baseURL.absoluteString), Kubernetes \(kubernetesServer.baseURL.absoluteString), Azure DevOps \(azureDevOpsServer.baseURL.absoluteString)")
            write("Plan written to \(planPath):\n")
            write(planText)

            section("envshed-rotator validate")
            show(rotator.validate(strict: false))

            section("envshed-rotator plan (dry run: writes nothing)")
            show(await rotator.plan(only: [], json: false))

            section("envshed-rotator run (step lines on stderr)")
            let result = await rotator.run(only: [], json: false)
            show(result)

            section("envshed-rotator status")
            show(rotator.status(json: false))

            section("What each target holds now (as each emulator decodes it, shown by fingerprint)")
            for line in world.targetReport(directory: directory) { write(line) }

            section("Tokens in Envshed")
            for line in world.tokenReport() { write(line) }

            section("envshed-rotator run, again (nothing is due)")
            let second = await rotator.run(only: [], json: false)
            show(second)

            for server in servers { await server.stop() }
            write("\nDemo finished: exit code \(result.exit.rawValue) then \(second.exit.rawValue).")
            return max(result.exit, second.exit)
        } catch {
            for server in servers { await server.stop() }
            write("demo failed: \(error)")
            return .failure
        }
    }

    private func section(_ title: String) {
        write("\n== \(title) ==")
    }

    private func show(_ result: OperationResult) {
        for message in result.messages { write(message) }
        if !result.output.isEmpty { write(result.output) }
        if result.exit != .success { write("(exit code \(result.exit.rawValue))") }
    }
}
