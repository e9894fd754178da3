/// An Envshed environment of one project, with the secrets a pull returns.
struct EmulatedEnvironment: Sendable {
    let projectID: String
    let slug: String
    let id: String
    let secrets: [String: String]
    /// The environment's version number, which a pull reports; nothing here changes the secrets, so it stays 1.
    let version: Int
}
