/// Why an emulator could not be started.
public enum EmulatorServerError: Error, CustomStringConvertible {
    /// The server stopped before it was listening, for example because binding failed.
    case failedToStart(reason: String)

    public var description: String {
        switch self {
        case .failedToStart(let reason):
            return "The emulator could not start: \(reason)"
        }
    }
}
