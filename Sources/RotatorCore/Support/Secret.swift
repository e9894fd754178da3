/// A credential or token value that must never reach a log, an error message, a file or stdout.
///
/// `description`, `debugDescription` and the mirror are redacted, so `print`, string interpolation,
/// `dump` and `String(reflecting:)` of anything holding a `Secret` show `<redacted>`. The value is
/// read only inside `withRevealed`, by the code that authenticates a request or writes a target.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    public init(_ value: String) {
        self.value = value
    }

    public func withRevealed<Result>(_ body: (String) throws -> Result) rethrows -> Result {
        try body(value)
    }

    /// The first 8 hex characters of the value's SHA-256: enough to tell two tokens apart in a log
    /// or in the state, far too little to recover anything.
    public var fingerprint: String {
        String(SHA256Digest.hex(of: Array(value.utf8)).prefix(8))
    }

    public var isEmpty: Bool { value.isEmpty }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
