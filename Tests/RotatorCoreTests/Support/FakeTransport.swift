import Foundation
import RotatorCore

/// A transport that answers every request from a closure, and never touches the network. The
/// closure may throw (`TransportError`) to play a request that got no answer.
///
/// (`FakeTransport`, in GitHubAppJWTTests.swift, is the recording variant: a class that also keeps
/// every request it was sent. This one keeps nothing, so it can answer thousands of large bodies.)
struct ScriptedTransport: HTTPTransport {
    let answer: @Sendable (HTTPRequest) async throws -> HTTPResponse

    init(_ answer: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) {
        self.answer = answer
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await answer(request)
    }
}

/// A random generator shared by a transport's closure and the test that drives it.
final class SharedRandom: @unchecked Sendable {
    private let lock = NSLock()
    private var generator: SplitMix64

    init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    func with<Result>(_ body: (inout SplitMix64) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&generator)
    }
}
