/// A target could not be written or verified. Names the provider, the target, the operation and
/// the HTTP status, and for 401/403 which credential lacks which permission.
public struct TargetError: Error, CustomStringConvertible, Sendable {
    public var provider: ProviderKind
    public var target: String
    public var operation: String
    public var status: Int?
    public var message: String
    public var hint: String?
    /// True when the write may have landed although it failed (a timeout, a dropped connection,
    /// a 5xx after sending): the target must then be assumed to hold the new token.
    public var mayHaveWritten: Bool

    public init(
        provider: ProviderKind, target: String, operation: String, status: Int? = nil, message: String,
        hint: String? = nil, mayHaveWritten: Bool = false
    ) {
        self.provider = provider
        self.target = target
        self.operation = operation
        self.status = status
        self.message = message
        self.hint = hint
        self.mayHaveWritten = mayHaveWritten
    }

    public var description: String {
        var text = "\(target): \(operation)"
        if let status { text += " answered HTTP \(status)" }
        if !message.isEmpty { text += (status == nil ? ": " : ": ") + message }
        if let hint { text += " (\(hint))" }
        // The message and hint quote the service (a Kubernetes reason, a GitHub visibility or
        // repository name, a Retry-After header): nothing token-shaped leaves through them.
        return Redactor.scrub(text)
    }
}
