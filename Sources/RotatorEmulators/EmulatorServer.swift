import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// A running emulator: a Hummingbird server listening on `127.0.0.1` on a port the system picked.
public struct EmulatorServer: Sendable {
    /// Where the emulator answers, such as `http://127.0.0.1:43125`.
    public let baseURL: URL

    private let serviceGroup: ServiceGroup
    private let runTask: Task<(any Error)?, Never>

    private init(baseURL: URL, serviceGroup: ServiceGroup, runTask: Task<(any Error)?, Never>) {
        self.baseURL = baseURL
        self.serviceGroup = serviceGroup
        self.runTask = runTask
    }

    /// Shuts the server down gracefully (in-flight requests finish) and waits until it has stopped.
    public func stop() async {
        await serviceGroup.triggerGracefulShutdown()
        _ = await runTask.value
    }

    /// Starts `responder` on `127.0.0.1:0` and returns once the port is known.
    ///
    /// - Parameters:
    ///   - name: Names the logger, so that an error line says which emulator it came from.
    ///   - responder: Answers every request.
    /// - Throws: `EmulatorServerError.failedToStart` when the server stops before listening, or
    ///   `CancellationError` when the calling task is cancelled while waiting.
    static func start(name: String, responder: EmulatorResponder) async throws -> EmulatorServer {
        // Only errors: the `demo` command prints to the same terminal, and Hummingbird's info lines
        // ("Server started…") would interleave with its output.
        var logger = Logger(label: "envshed-rotator.emulator.\(name)")
        logger.logLevel = .error

        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                if let port = channel.localAddress?.port {
                    portContinuation.yield(port)
                }
                portContinuation.finish()
            },
            logger: logger
        )
        var configuration = ServiceGroupConfiguration(services: [.init(service: application)], logger: logger)
        // Bounded so that `stop()` cannot hang a test or the demo on a client that keeps a request open.
        configuration.maximumGracefulShutdownDuration = .seconds(5)
        configuration.maximumCancellationDuration = .seconds(5)
        let serviceGroup = ServiceGroup(configuration: configuration)

        // The server outlives this call by design: `stop()` ends it, through the service group.
        let runTask = Task<(any Error)?, Never> {
            defer { portContinuation.finish() }
            do {
                try await serviceGroup.run()
                return nil
            } catch {
                return error
            }
        }

        for await port in ports {
            guard let baseURL = URL(string: "http://127.0.0.1:\(port)") else {
                break
            }
            return EmulatorServer(baseURL: baseURL, serviceGroup: serviceGroup, runTask: runTask)
        }

        // No port: either the server failed, or we were cancelled while it was starting.
        await serviceGroup.triggerGracefulShutdown()
        let failure = await runTask.value
        try Task.checkCancellation()
        throw EmulatorServerError.failedToStart(
            reason: failure.map { "\($0)" } ?? "the server stopped before listening"
        )
    }
}
