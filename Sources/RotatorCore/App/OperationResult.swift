/// What a command hands back to the CLI: the exit status, the report for stdout (text or one
/// JSON document) and messages for stderr. Step lines went to stderr while it ran.
public struct OperationResult: Sendable {
    public var exit: ExitStatus
    public var output: String
    public var messages: [String]

    public init(exit: ExitStatus, output: String = "", messages: [String] = []) {
        self.exit = exit
        self.output = output
        self.messages = messages
    }
}
