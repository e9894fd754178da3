import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// A loopback receiver of outgoing notifications: it stands in for a Slack incoming webhook, a
/// generic webhook endpoint and PagerDuty's Events API v2 in tests. Every `POST` to any path is
/// recorded with its headers and exact body; it answers 200 (`202` with PagerDuty's JSON under
/// `/v2/enqueue`), or 500 for the first `failFirst` calls so tests can check retries.
public final class WebhookReceiver: Sendable {
    /// One delivery as received.
    public struct Delivery: Sendable {
        public let method: String
        public let path: String
        /// Header names lower-cased.
        public let headers: [String: String]
        /// The exact bytes received (what a signature covers).
        public let body: Data
        /// The status the receiver answered.
        public let status: Int

        public func header(_ name: String) -> String? { headers[name.lowercased()] }

        /// The body as a JSON object, or nil.
        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        }

        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    private struct State {
        var deliveries: [Delivery] = []
        var failuresLeft = 0
        var failureStatus = 500
    }

    private let state = Mutex(State())

    public init() {}

    /// Answers `status` (500 by default) to the next `count` requests, then 2xx again.
    public func failFirst(_ count: Int, status: Int = 500) {
        state.withLock { state in
            state.failuresLeft = count
            state.failureStatus = status
        }
    }

    /// Every request received, in order, failed ones included.
    public var deliveries: [Delivery] {
        state.withLock { $0.deliveries }
    }

    /// Deliveries to paths starting with `prefix`.
    public func deliveries(to prefix: String) -> [Delivery] {
        deliveries.filter { $0.path.hasPrefix(prefix) }
    }

    public func start() async throws -> EmulatorServer {
        try await EmulatorServer.start(
            name: "webhook",
            responder: EmulatorResponder { [self] request in
                await self.respond(to: request)
            }
        )
    }

    private func respond(to request: Request) async -> Response {
        var request = request
        let path = request.uri.path
        var headers: [String: String] = [:]
        for field in request.headers {
            headers[field.name.canonicalName.lowercased()] = field.value
        }
        let body = (try? await request.collectBody(upTo: Request.maximumBodySize)).map { Data($0.readableBytesView) } ?? Data()
        let status: Int = state.withLock { state in
            let answer: Int
            if state.failuresLeft > 0 {
                state.failuresLeft -= 1
                answer = state.failureStatus
            } else {
                answer = path.hasSuffix("/v2/enqueue") ? 202 : 200
            }
            state.deliveries.append(Delivery(method: request.method.rawValue, path: path, headers: headers, body: body, status: answer))
            return answer
        }
        let reply: JSONResponse = switch status {
        case 202: JSONResponse(status: 202, json: .object(["status": .string("success"), "message": .string("Event processed"), "dedup_key": .string("recorded")]))
        case 200: JSONResponse(status: 200, rawBody: "ok")
        default: JSONResponse(status: status, json: .object(["error": .string(HTTPReasonPhrase.phrase(for: status))]))
        }
        return reply.makeResponse(contentType: status == 200 ? "text/plain" : "application/json")
    }
}
