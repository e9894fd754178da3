import Foundation
import Logging

/// Everything the commands take from the outside world, built once at the edge: the process
/// environment (credentials, `$STATE_DIRECTORY`), the HTTP transport, the clock, the logger.
/// Tests and the demo build their own.
public struct RotatorEnvironment: Sendable {
    public var variables: [String: String]
    /// The network. Each command wraps it with the plan's per-host budgets and `retryPolicy`.
    public var transport: any HTTPTransport
    public var retryPolicy: RetryPolicy
    public var now: @Sendable () -> Date
    public var sleep: @Sendable (Duration) async throws -> Void
    public var logger: Logger
    /// `--state-dir` from the command line, if given.
    public var stateDirectory: String?
    /// True once SIGTERM/SIGINT asked the run to stop: the current step finishes, no new one starts.
    public var shouldStop: @Sendable () -> Bool
    /// Sets what SIGINT/SIGTERM do from now on (`ShutdownSignal.setBehavior`); tests ignore it.
    public var interruptBehavior: @Sendable (InterruptBehavior) -> Void = { _ in }
    /// Shows how far a `run` or `rotate` has got (the CLI's progress line); tests ignore it.
    public var progress: @Sendable (RunProgress) -> Void = { _ in }

    public init(
        variables: [String: String], transport: any HTTPTransport, logger: Logger, stateDirectory: String? = nil,
        retryPolicy: RetryPolicy = .standard,
        now: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        shouldStop: @escaping @Sendable () -> Bool = { false }
    ) {
        self.variables = variables
        self.transport = transport
        self.retryPolicy = retryPolicy
        self.logger = logger
        self.stateDirectory = stateDirectory
        self.now = now
        self.sleep = sleep
        self.shouldStop = shouldStop
    }

    /// The production environment: this process's variables, libcurl, the standard retry
    /// policy, and the shutdown flag the signal handler sets.
    public static func live(
        logger: Logger, stateDirectory: String?, shouldStop: @escaping @Sendable () -> Bool,
        interruptBehavior: @escaping @Sendable (InterruptBehavior) -> Void = { _ in },
        progress: @escaping @Sendable (RunProgress) -> Void = { _ in }
    ) -> RotatorEnvironment {
        let variables = ProcessInfo.processInfo.environment
        var environment = RotatorEnvironment(
            variables: variables,
            transport: CurlTransport(environment: variables), logger: logger,
            stateDirectory: stateDirectory, shouldStop: shouldStop
        )
        environment.interruptBehavior = interruptBehavior
        environment.progress = progress
        return environment
    }

    public func stateDirectory(for plan: Plan?) -> String {
        StatePaths.directory(commandLine: stateDirectory, plan: plan, environment: variables)
    }
}
