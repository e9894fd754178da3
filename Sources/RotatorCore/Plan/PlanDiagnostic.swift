/// One problem found in the plan, reported as `file:line:col: severity: message`.
public struct PlanDiagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable {
        case error
        case warning
    }

    public var location: SourceLocation
    public var severity: Severity
    public var message: String

    /// `message` is scrubbed: many messages quote what the plan says (a key, an id, a value), and
    /// a token pasted there must not be printed back.
    public init(_ severity: Severity, at location: SourceLocation, _ message: String) {
        self.location = location
        self.severity = severity
        self.message = Redactor.scrub(message)
    }

    public var description: String { "\(location): \(severity.rawValue): \(message)" }
}
