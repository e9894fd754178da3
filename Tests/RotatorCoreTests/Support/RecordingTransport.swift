import Foundation
import RotatorCore
import Synchronization

/// Passes every request to the real transport and first calls `observe` with it, so that a test
/// can look at the world (a target's file, the emulator's tokens) at the moment each request
/// leaves, and keep the order of requests.
final class RecordingTransport: HTTPTransport {
    private let inner: any HTTPTransport
    private let observe: @Sendable (HTTPRequest) -> String?
    private let recorded = Mutex<[String]>([])

    /// - Parameter observe: returns what to record for the request (nil: record nothing).
    init(_ inner: any HTTPTransport, observe: @escaping @Sendable (HTTPRequest) -> String?) {
        self.inner = inner
        self.observe = observe
    }

    var events: [String] { recorded.withLock { $0 } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        if let event = observe(request) { recorded.withLock { $0.append(event) } }
        return try await inner.send(request)
    }
}
