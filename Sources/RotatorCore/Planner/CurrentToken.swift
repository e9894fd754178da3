import Foundation

/// The token a rotation uses today, as far as the state, the plan's `adopt` and Envshed's list know.
public struct CurrentToken: Sendable, Hashable {
    public var id: String
    public var name: String?
    public var fingerprint: String?
    public var expiresAt: Date?
    /// The token named by `adopt:`, which the bot did not create.
    public var adopted: Bool
    /// Listed as live by Envshed. False when it was revoked or deleted behind the bot's back.
    public var live: Bool
}
