import Logging
import RotatorCore

/// The transport the binary uses, taken from the production environment rather than named, so
/// that these tests keep driving the real one when the HTTP client behind it is replaced.
enum ProductionTransport {
    static func make() -> any HTTPTransport {
        RotatorEnvironment.live(logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, stateDirectory: nil, shouldStop: { false }).transport
    }
}
