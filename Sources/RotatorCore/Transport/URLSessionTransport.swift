import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `URLSession` (libcurl on Linux): honours the system CA store and the standard proxy variables.
/// Ephemeral, no cookies, no cache, and no redirects: a redirect could carry a bearer token to
/// another host, and none of the APIs we call redirect a correct request.
public final class URLSessionTransport: HTTPTransport {
    private let session: URLSession

    /// Above any `max_concurrent` a plan sets (`PlanParser` caps it at this).
    public static let connectionsPerHost = 256

    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpShouldSetCookies = false
        // URLSession allows 6 connections per host by default and queues the rest unseen, which
        // made concurrent rotations wait on each other. The per-host budgets (`max_concurrent`,
        // `HostBudget`) are the limit; this only has to stay above them.
        configuration.httpMaximumConnectionsPerHost = Self.connectionsPerHost
        session = URLSession(configuration: configuration, delegate: RedirectRefuser(), delegateQueue: nil)
    }

    deinit {
        session.finishTasksAndInvalidate()
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        urlRequest.httpBody = request.body
        let seconds = Double(request.timeout.components.seconds)
        urlRequest.timeoutInterval = seconds
        for (name, value) in request.headers {
            urlRequest.setValue(value, forHTTPHeaderField: name)
        }
        let summary = request.summary
        return try await withCheckedThrowingContinuation { continuation in
            let task = session.dataTask(with: urlRequest) { data, response, error in
                if let error {
                    let nsError = error as NSError
                    if nsError.domain == NSURLErrorDomain && nsError.code == NSURLErrorTimedOut {
                        continuation.resume(throwing: TransportError.timedOut(request: summary, seconds: Int(seconds)))
                    } else {
                        continuation.resume(throwing: TransportError.unreachable(request: summary, reason: nsError.localizedDescription))
                    }
                    return
                }
                guard let http = response as? HTTPURLResponse else {
                    continuation.resume(throwing: TransportError.invalidResponse(request: summary))
                    return
                }
                var headers: [String: String] = [:]
                for (key, value) in http.allHeaderFields {
                    headers[String(describing: key).lowercased()] = String(describing: value)
                }
                continuation.resume(returning: HTTPResponse(status: http.statusCode, headers: headers, body: data ?? Data()))
            }
            task.resume()
        }
    }
}

private final class RedirectRefuser: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(
        _ session: URLSession,
        task: URLSessionTask,
        willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest,
        completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
