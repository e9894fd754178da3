import Foundation
import Logging

/// A place a rotation writes its token to. One implementation per provider; `TargetFactory`
/// builds them from the plan with an exhaustive switch.
public protocol SecretTarget: Sendable {
    var target: Target { get }

    /// Writes `value` to the target through the provider's API.
    /// - Returns: what `verify` needs to prove the write landed.
    func push(_ value: Secret, logger: Logger) async throws(TargetError) -> PushReceipt

    /// Reads the target back and checks that it holds what `push` wrote (value when the provider
    /// lets us read it, otherwise its modification time).
    func verify(_ receipt: PushReceipt, logger: Logger) async throws(TargetError) -> TargetObservation

    /// Reads what `push` will need and that does not depend on the new token (a GitHub scope's
    /// public key), while the token is being created. Only reads; a failure is left for `push`
    /// to meet again and report.
    func prepare(logger: Logger) async
}

extension SecretTarget {
    public func prepare(logger: Logger) async {}
}

/// What a push left behind for the read-back.
public struct PushReceipt: Sendable, Hashable {
    /// When the write was sent; a read-back older than this (less clock-skew tolerance) means the
    /// write did not land.
    public var startedAt: Date
    /// True when the provider created the secret rather than updating it.
    public var created: Bool
    /// SHA-256 (hex) of the value written, for targets that can read the value back (GitLab,
    /// Kubernetes, files): the read-back is compared with it, so the receipt never holds the value.
    public var valueDigest: String? = nil
}

/// What the read-back saw, kept in the state for the drift report.
public struct TargetObservation: Sendable, Hashable {
    public var updatedAt: Date?
}
