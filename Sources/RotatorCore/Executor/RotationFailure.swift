import Foundation

/// Why a rotation stopped, where, and what it means for the token still in use: the one line
/// SPEC I6 asks for.
public struct RotationFailure: Sendable, Hashable {
    public var rotationID: String
    public var step: Step
    public var target: String?
    public var reason: String
    /// The token left valid, and when it expires.
    public var oldTokenID: String?
    public var oldTokenExpiresAt: Date?
    /// Targets that already hold the new token (both tokens stay live).
    public var targetsHoldingNewToken: [String]

    public func line(now: Date) -> String {
        var text = "rotation \(rotationID) failed at \(step.rawValue)"
        if let target { text += " of \(target)" }
        text += ": \(reason)"
        if let oldTokenID {
            text += "; the old token \(oldTokenID) stays valid and \(TimeLeft.describe(until: oldTokenExpiresAt, from: now))"
        } else {
            text += "; no token was in use yet"
        }
        if !targetsHoldingNewToken.isEmpty {
            text += "; \(targetsHoldingNewToken.count) target(s) already hold the new token, which also stays valid"
        }
        return Redactor.scrub(text)
    }
}
