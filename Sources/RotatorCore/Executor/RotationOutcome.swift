import Foundation

/// How one rotation ended in a run.
public struct RotationOutcome: Sendable {
    public enum Result: Sendable {
        case rotated(token: ServiceToken, fingerprint: String)
        case notDue
        case failed(RotationFailure)
    }

    public var rotationID: String
    public var result: Result
    public var revokedTokenIDs: [String]
    /// Revocations that failed after a successful rotation; retried by the next run.
    public var revocationErrors: [String]

    public var failure: RotationFailure? {
        if case .failed(let failure) = result { return failure }
        return nil
    }
}
