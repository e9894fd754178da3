/// The outcome of a test pull: which keys came back (never their values) and the environment's version.
public struct PullResult: Sendable, Hashable {
    public var keys: [String]
    public var version: Int?
    /// Keys Envshed could not decrypt (`decryptErrors`): the pull worked, but say so.
    public var undecryptableKeys: [String] = []
}
