import Foundation

/// What the drift report found on one target: does it still hold what the bot last verified there?
public struct TargetDrift: Sendable {
    public enum State: String, Sendable {
        /// Holds what the bot last wrote and verified.
        case unchanged
        /// Written by someone else after the bot's last verified write.
        case changed
        /// Holds a token the bot created, but not the rotation's current one.
        case stale
        /// The secret or variable is gone.
        case missing
        /// Cannot be told: never written by the bot, a hidden variable, an adopted token, an error.
        case unknown
    }

    public var rotation: String
    public var target: String
    public var state: State
    public var detail: String
    /// Provider facts worth showing (`updated_at`, `resourceVersion`, a fingerprint).
    public var facts: [String: String] = [:]

    var json: [String: Any] {
        ["rotation": rotation, "target": target, "state": state.rawValue, "detail": detail, "facts": facts]
    }
}
