/// A target could not be written or verified. Names the provider, the target, the operation and
/// the HTTP status, and for 401/403 which credential lacks which permission.
public struct TargetError: Error, CustomStringConvertible, Sendable {
    public var provider: ProviderKind
    public var target: String
    public var operation: String
    public var status: Int?
    public var message: String
    public var hint: String?

    public init(provider: ProviderKind, target: String, operation: String, status: Int? = nil, message: String, hint: String? = nil) {
        self.provider = provider
        self.target = target
        self.operation = operation
        self.status = status
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var text = "\(target): \(operation)"
        if let status { text += " answered HTTP \(status)" }
        if !message.isEmpty { text += (status == nil ? ": " : ": ") + message }
        if let hint { text += " (\(hint))" }
        return text
    }
}
