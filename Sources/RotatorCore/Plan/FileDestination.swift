/// A file target as the plan declares it:
/// `file: { path: /etc/api/envshed-token, mode: "0600", owner: "app:app", then: [systemctl, reload, api] }`.
public struct FileDestination: Sendable, Hashable {
    /// Absolute path of the file.
    public var path: String
    /// Permission bits, 0600 unless the plan says otherwise; never any bit for others.
    public var mode: UInt16
    /// `user` or `user:group`, resolved when writing; nil keeps the writing process's own.
    public var owner: String?
    /// A command run after the write, without a shell: the program, then its arguments.
    public var then: [String]

    public init(path: String, mode: UInt16, owner: String?, then: [String]) {
        self.path = path
        self.mode = mode
        self.owner = owner
        self.then = then
    }
}
