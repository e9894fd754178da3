import Foundation
import Synchronization
import Testing

@testable import RotatorCore

@Suite("TrustingTransport: a provider's CA for its host only")
struct TrustingTransportTests {
    final class Recorder: HTTPTransport {
        let seen = Mutex<[String: String?]>([:])
        func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            seen.withLock { $0[request.url.absoluteString] = request.caFile }
            return HTTPResponse(status: 200)
        }
    }

    @Test("requests to the provider's host and port carry its ca_file; other hosts keep the system store")
    func perHost() async throws {
        let recorder = Recorder()
        let transport = TrustingTransport(recorder, caFiles: ["k8s.internal:6443": "/etc/k8s-ca.crt"])
        for address in ["https://k8s.internal:6443/api/v1/x", "https://k8s.internal/api", "https://api.github.com/x"] {
            _ = try await transport.send(HTTPRequest(method: "GET", url: URL(string: address)!))
        }
        let seen = recorder.seen.withLock { $0 }
        #expect(seen["https://k8s.internal:6443/api/v1/x"] == .some("/etc/k8s-ca.crt"))
        #expect(seen["https://k8s.internal/api"] == .some(nil))
        #expect(seen["https://api.github.com/x"] == .some(nil))
    }
}
