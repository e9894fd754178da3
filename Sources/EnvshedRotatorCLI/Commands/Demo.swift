import ArgumentParser
import Logging
import RotatorCore
import RotatorDemo

extension RotatorCommand {
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a full rotation against built-in emulators of Envshed, GitHub, GitLab and Kubernetes.",
            discussion: """
                Starts the emulators on 127.0.0.1, writes a throw-away plan with two rotations — one \
                fanning out to GitHub repository, environment and organization secrets (as a GitHub \
                App), a GitLab variable, a Kubernetes Secret and a file in the demo's temporary \
                folder — runs `plan` and `run`, and shows each step and the final state. Needs no \
                credentials and no network.
                """
        )

        @Option(name: .long, help: "Log line format on stderr: text or json. Default: text.")
        var logFormat: LogFormat = .text

        func run() async throws {
            let format = logFormat
            LoggingSystem.bootstrap { _ in StderrLogHandler(format: format, level: .info) }
            let status = await DemoRunner(logger: Logger(label: "envshed-rotator-demo")).run()
            if status != .success { throw ExitCode(status.rawValue) }
        }
    }
}
