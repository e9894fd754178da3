import Foundation

/// Applies each host's `HostBudget` (concurrency and write pacing) to every request, retries
/// included: it sits below `RetryingTransport`. Hosts without a budget pass straight through.
public struct BudgetedTransport: HTTPTransport {
    private let inner: any HTTPTransport
    private let budgets: [String: HostBudget]
    private let sleep: @Sendable (Duration) async throws -> Void

    /// - Parameter budgets: by host name (`api.github.com`, `127.0.0.1:8080` style `host:port`
    ///   when a port is part of the base URL).
    public init(
        _ inner: any HTTPTransport, budgets: [String: HostBudget],
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.inner = inner
        self.budgets = budgets
        self.sleep = sleep
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard let budget = budgets[Self.key(request.url.host, request.url.port)] else {
            return try await inner.send(request)
        }
        // Pace first, then take a slot: a request waiting for its write slot holds no slot.
        let delay = await budget.writeDelay(isWrite: request.isWrite)
        if delay > .zero { try await sleep(delay) }
        await budget.acquire()
        do {
            let response = try await inner.send(request)
            await budget.release()
            return response
        } catch {
            await budget.release()
            throw error
        }
    }

    public static func key(_ host: String?, _ port: Int?) -> String {
        guard let host else { return "" }
        return port.map { "\(host):\($0)" } ?? host
    }
}
