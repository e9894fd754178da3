import Foundation

/// What the planner decided for one rotation, and everything needed to carry it out.
public struct RotationDecision: Sendable {
    public enum Verdict: Sendable, Hashable {
        case due(reason: String)
        case notDue(reason: String)

        public var isDue: Bool {
            if case .due = self { return true }
            return false
        }

        public var reason: String {
            switch self {
            case .due(let reason), .notDue(let reason): reason
            }
        }
    }

    public var rotation: Rotation
    public var current: CurrentToken?
    public var verdict: Verdict
    /// When the current token enters its lead time (nil when it is due now or never expires).
    public var nextDue: Date?
    /// Serial of the token a rotation would create now.
    public var nextSerial: Int
    /// What would be created: name rendered and made unique, same scope and permission.
    public var request: NewServiceToken
}
