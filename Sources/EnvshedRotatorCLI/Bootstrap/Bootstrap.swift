import ArgumentParser
import Foundation
import Logging
import RotatorCore

/// The composition root: the only place that bootstraps logging and reads the process
/// environment, then builds the `Rotator` a command calls.
enum Bootstrap {
    static func rotator(_ options: GlobalOptions) -> Rotator {
        // Nothing this process writes (state, lock, temporary files) is for anyone else.
        umask(0o077)
        let format = options.logFormat ?? (isatty(STDERR_FILENO) == 1 ? .text : .json)
        let level = options.logLevel
        LoggingSystem.bootstrap { _ in StderrLogHandler(format: format, level: level) }
        let logger = Logger(label: "envshed-rotator")
        let shutdown = ShutdownSignal()
        shutdown.install()
        let environment = RotatorEnvironment.live(logger: logger, stateDirectory: options.stateDir, shouldStop: { shutdown.isRequested })
        let path = Rotator.planPath(commandLine: options.config, environment: environment.variables)
        return Rotator(environment: environment, planPath: path)
    }

    /// Prints the report and messages, then ends with the result's exit code.
    static func finish(_ result: OperationResult) throws {
        for message in result.messages {
            FileHandle.standardError.write(Data((Redactor.scrub(message) + "\n").utf8))
        }
        if !result.output.isEmpty {
            print(Redactor.scrub(result.output))
        }
        if result.exit != .success {
            throw ExitCode(result.exit.rawValue)
        }
    }
}
