import Foundation
import RotatorEmulators

/// One request event any emulator of a scenario saw, with the service it reached and when: the
/// timeline the pacing, rate-limit and crash tests assert on.
struct ObservedEvent: Sendable {
    enum Host: String, Sendable, CaseIterable {
        case envshed, github, gitlab, kubernetes
        case azureDevOps
    }

    let host: Host
    let request: ObservedRequest
    let at: ContinuousClock.Instant
    /// The same moment on the wall clock, for comparing with epoch times such as `x-ratelimit-reset`.
    let date: Date

    var isArrival: Bool { request.phase == .received }
    var line: String { "\(host.rawValue) \(request.method) \(request.path) \(request.phase == .received ? "received" : "handled \(request.status ?? 0)")" }
}
