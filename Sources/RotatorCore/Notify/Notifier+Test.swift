import Foundation

extension Notifier {
    /// What `notify test` found for one channel.
    struct TestDelivery {
        var channel: String
        var delivered: Bool
        var detail: String
    }

    /// Sends `event` (a `.test` event) to every channel, whatever it subscribes to, and says for
    /// each whether it arrived. PagerDuty gets a `trigger` and then a `resolve` with the same
    /// `dedup_key`, so the test incident closes itself
    /// (https://developer.pagerduty.com/docs/events-api-v2/resolve-alert/).
    func test(_ event: NotificationEvent) async -> [TestDelivery] {
        await withTaskGroup(of: (Int, TestDelivery).self) { group in
            for (index, channel) in channels.enumerated() {
                group.addTask { (index, await testOne(event, channel)) }
            }
            var results: [(Int, TestDelivery)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    private func testOne(_ event: NotificationEvent, _ channel: NotificationChannel) async -> TestDelivery {
        do {
            var requests = [try makeRequest(event, for: channel)]
            if case .pagerDuty(let reference, _, let apiURL) = channel.kind {
                var resolve: [String: Any] = ["event_action": "resolve", "dedup_key": NotificationPayload.dedupKey(event, org: org)]
                let key = try reference.resolve(environment: variables)
                key.withRevealed { resolve["routing_key"] = $0 }
                if let body = NotificationPayload.encode(resolve) {
                    requests.append(HTTPRequest(
                        method: "POST", url: apiURL, headers: ["Content-Type": "application/json", "User-Agent": UserAgent.value], body: body,
                        timeout: timeout, isIdempotent: true
                    ))
                }
            }
            for request in requests {
                let response = try await transport.send(request)
                guard response.isSuccess else {
                    return TestDelivery(channel: channel.label, delivered: false, detail: "answered HTTP \(response.status): \(response.bodySnippet)")
                }
            }
            return TestDelivery(channel: channel.label, delivered: true, detail: requests.count > 1 ? "delivered (incident triggered and resolved)" : "delivered")
        } catch {
            return TestDelivery(channel: channel.label, delivered: false, detail: "\(error)")
        }
    }
}
