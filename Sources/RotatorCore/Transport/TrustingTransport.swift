import Foundation

/// Gives every request to a host whose provider names a CA bundle (`ca_file:`, or the pod's
/// service-account CA) that bundle, so the transport trusts it for that host only, instead of it
/// having to be installed system-wide. Hosts without one keep the system store.
public struct TrustingTransport: HTTPTransport {
    private let inner: any HTTPTransport
    private let caFiles: [String: String]

    /// - Parameter caFiles: CA bundle paths by `BudgetedTransport.key` (`host` or `host:port`).
    public init(_ inner: any HTTPTransport, caFiles: [String: String]) {
        self.inner = inner
        self.caFiles = caFiles
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard !caFiles.isEmpty, request.caFile == nil, let caFile = caFiles[BudgetedTransport.key(request.url.host, request.url.port)] else {
            return try await inner.send(request)
        }
        var trusted = request
        trusted.caFile = caFile
        return try await inner.send(trusted)
    }
}
