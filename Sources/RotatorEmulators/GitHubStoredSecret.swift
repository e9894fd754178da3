import Foundation

/// A secret the GitHub emulator accepted, kept decrypted so tests can check what a client sealed.
struct GitHubStoredSecret: Sendable {
    var value: String
    /// Whole seconds, like GitHub's timestamps.
    let createdAt: Date
    /// Whole seconds, like GitHub's timestamps.
    var updatedAt: Date
}
