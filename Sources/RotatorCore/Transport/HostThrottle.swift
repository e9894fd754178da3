import Foundation

/// Per-host pauses: when a service answers "slow down" (429, `Retry-After`, a spent GitHub
/// limit), every request to that host waits, not only the one that was told. Shared by all
/// rotations of a run.
public actor HostThrottle {
    private var pausedUntil: [String: ContinuousClock.Instant] = [:]

    public init() {}

    /// Pauses `host` for at least `duration` from now.
    public func pause(_ host: String, for duration: Duration) {
        let until = ContinuousClock.now.advanced(by: duration)
        if let current = pausedUntil[host], current >= until { return }
        pausedUntil[host] = until
    }

    /// How long a request to `host` must wait before it may be sent.
    public func wait(for host: String) -> Duration {
        guard let until = pausedUntil[host] else { return .zero }
        let now = ContinuousClock.now
        guard until > now else {
            pausedUntil[host] = nil
            return .zero
        }
        return now.duration(to: until)
    }
}
