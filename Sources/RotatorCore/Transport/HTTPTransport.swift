/// The one seam between the clients and the network. Production uses `CurlTransport`;
/// tests drive the same clients against loopback emulators through the same transport.
public protocol HTTPTransport: Sendable {
    /// Sends the request and returns the answer, whatever its status.
    /// - Throws: `TransportError` when no answer arrived (unreachable, timed out, dropped).
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}
