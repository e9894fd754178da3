import Foundation

/// The HTTP client: libcurl's multi interface on one I/O thread (`CurlLoop`). It trusts the
/// system CA store, or only the bundle a request names (`HTTPRequest.caFile`, from a provider's
/// `ca_file:` or the pod's service-account CA); TLS verification is never turned off. It follows
/// no redirect, gives every request its own deadline, goes through the proxy the standard
/// variables name (`ProxySettings`), reuses connections and speaks HTTP/2 where the server offers it.
public final class CurlTransport: HTTPTransport {
    /// Above any `max_concurrent` a plan sets (`PlanParser` caps it at this).
    public static let connectionsPerHost = 256
    /// The largest body read: services answer with kilobytes; a body this size is a fault, not an answer.
    public static let defaultMaximumBodyBytes = 16 << 20

    private let loop: CurlLoop
    private let maximumBodyBytes: Int

    /// - Parameter environment: where the proxy variables are read, once (the process's in production).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, maximumBodyBytes: Int = defaultMaximumBodyBytes) {
        loop = CurlLoop(proxy: ProxySettings(environment: environment), maximumConnections: 2 * Self.connectionsPerHost)
        self.maximumBodyBytes = maximumBodyBytes
    }

    deinit {
        loop.stop()
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try Task.checkCancellation()
        let transfer = CurlTransfer(request: request, maximumBodyBytes: maximumBodyBytes)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.continuation = continuation
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
    }
}
