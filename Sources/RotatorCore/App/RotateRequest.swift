import Foundation

/// `rotate ID --reason TEXT [--emergency] [--revoke-old MODE] [--yes] [--json] [--wait-for-lock S]`.
public struct RotateRequest: Sendable {
    /// How long `rotate` waits for the nightly run's lock by default.
    public static let defaultLockWait: Duration = .seconds(300)

    public var rotationID: String
    public var reason: String
    /// Skips the grace period; the only way to `--revoke-old first|immediately`.
    public var emergency: Bool
    public var revokeOld: RevokeOldMode
    /// Confirmed on the command line: no question asked.
    public var assumeYes: Bool
    public var json: Bool
    public var waitForLock: Duration
    /// Asks the lock's holder to stop (SIGTERM) instead of waiting for it to end.
    public var preempt: Bool

    public init(
        rotationID: String, reason: String, emergency: Bool = false, revokeOld: RevokeOldMode = .afterVerify, assumeYes: Bool = false,
        json: Bool = false, waitForLock: Duration = RotateRequest.defaultLockWait, preempt: Bool = false
    ) {
        self.rotationID = rotationID
        self.reason = reason
        self.emergency = emergency
        self.revokeOld = revokeOld
        self.assumeYes = assumeYes
        self.json = json
        self.waitForLock = waitForLock
        self.preempt = preempt
    }

    /// Why the request cannot be carried out as given, before anything is read or touched.
    var usageProblem: String? {
        if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return "--reason must say why (it goes into the audit trail and the notifications)"
        }
        if revokeOld != .afterVerify && !emergency {
            return "--revoke-old \(revokeOld.rawValue) revokes a token that pipelines may still hold; it is allowed only with --emergency"
        }
        return nil
    }
}

/// The person at the other end of `rotate`: where the blast radius and the "waiting for the lock"
/// message go as they happen, and where the confirmation comes from.
public protocol OperatorConsole: Sendable {
    /// True when stdin is a terminal: a person can be asked.
    var isInteractive: Bool { get }
    /// Shows a line at once (stderr).
    func say(_ line: String)
    /// Shows `question` and reads one line of answer; nil at end of input.
    func ask(_ question: String) -> String?
}
