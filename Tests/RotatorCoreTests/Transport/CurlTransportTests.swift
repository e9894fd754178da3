import Foundation
import Synchronization
import Testing

@testable import RotatorCore

/// The production transport against real sockets on loopback: plain HTTP servers that misbehave
/// on purpose, an HTTPS server with a private CA, and a CONNECT proxy.
@Suite("CurlTransport against loopback servers")
struct CurlTransportTests {
    static let requireTools = ProcessInfo.processInfo.environment["ENVSHED_ROTATOR_REQUIRE_TOOLS"] != nil

    func url(_ port: UInt16, _ path: String, host: String = "127.0.0.1", scheme: String = "http") -> URL {
        URL(string: "\(scheme)://\(host):\(port)\(path)")!
    }

    @Test("1,000 requests at concurrency 64, every answer matched to its request, over reused connections")
    func concurrentRequests() async throws {
        let server = try LoopbackHTTPServer { received in
            // The answer names the request it answers: its method, path and body, and a header.
            let echo = Array("\(received.method) \(received.path) ".utf8) + received.body
            return .respond(status: 200, headers: ["X-Echo-Id": received.headers["x-request-id"] ?? "none"], body: echo)
        }
        defer { server.stop() }
        let transport = CurlTransport(environment: [:])
        // No POST, and PATCH marked idempotent as the Kubernetes client does: a request that is
        // not idempotent gets a connection of its own, used once (`postIsSentOnce`).
        let methods = ["GET", "PUT", "DELETE", "PATCH"]
        let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
            var next = 0
            var mismatches = 0
            func add() {
                let index = next
                next += 1
                group.addTask {
                    let method = methods[index % methods.count]
                    let body = method == "GET" || method == "DELETE" ? nil : Data("body-\(index)".utf8)
                    let request = HTTPRequest(
                        method: method, url: url(server.port, "/item/\(index)"), headers: ["X-Request-Id": "\(index)", "Content-Type": "text/plain"],
                        body: body, timeout: .seconds(20), isIdempotent: true
                    )
                    let response = try await transport.send(request)
                    let expected = "\(method) /item/\(index) " + (body.map { String(decoding: $0, as: UTF8.self) } ?? "")
                    let matched = response.status == 200 && String(decoding: response.body, as: UTF8.self) == expected
                        && response.header("x-echo-id") == "\(index)"
                    return matched ? 0 : 1
                }
            }
            for _ in 0..<64 { add() }
            while let result = try await group.next() {
                mismatches += result
                if next < 1000 { add() }
            }
            return mismatches
        }
        #expect(mismatches == 0)
        // At most one connection per request in flight, kept for the next: never one per request.
        #expect(server.connections <= 64, "opened \(server.connections) connections for 1,000 requests at concurrency 64")
    }

    @Test("a POST whose connection dies before any answer reaches the server once and fails: libcurl never resends it on its own")
    func postIsSentOnce() async throws {
        let posts = Mutex(0)
        let server = try LoopbackHTTPServer { received in
            guard received.method == "POST" else { return .respond(status: 200, body: Array("warm".utf8)) }
            // Applied (counted), then the connection is reset without an answer.
            return posts.withLock { count in
                count += 1
                return count == 1 ? .dropWithoutAnswer : .respond(status: 201)
            }
        }
        defer { server.stop() }
        let transport = CurlTransport(environment: [:])
        // A kept-alive connection first: libcurl resends a request whose reused connection dies.
        _ = try await transport.send(HTTPRequest(method: "GET", url: url(server.port, "/warm")))
        await #expect(throws: TransportError.self) {
            try await transport.send(HTTPRequest(method: "POST", url: url(server.port, "/tokens"), body: Data("{}".utf8), timeout: .seconds(10)))
        }
        #expect(posts.withLock { $0 } == 1, "the server applied the POST \(posts.withLock { $0 }) times")
    }

    @Test("a server that never answers: the request's own deadline ends it, as a timeout")
    func deadline() async throws {
        let server = try LoopbackHTTPServer { _ in .hang }
        defer { server.stop() }
        let transport = CurlTransport(environment: [:])
        let started = ContinuousClock.now
        let error = await #expect(throws: TransportError.self) {
            try await transport.send(HTTPRequest(method: "GET", url: url(server.port, "/slow"), timeout: .milliseconds(300)))
        }
        let elapsed = ContinuousClock.now - started
        guard case .timedOut = error else {
            Issue.record("expected a timeout, got \(String(describing: error))")
            return
        }
        // The upper bound is loose on purpose: with the suite's other tests busy on both cores,
        // this task may wait seconds to be scheduled after the transport answered. Without the
        // deadline the request would never end.
        #expect(elapsed >= .milliseconds(300) && elapsed < .seconds(60))
    }

    @Test("a connection reset in the middle of the body is a failure, never a short answer")
    func resetMidBody() async throws {
        let server = try LoopbackHTTPServer { _ in .resetMidBody(declared: 100_000, sent: 1_000) }
        defer { server.stop() }
        let transport = CurlTransport(environment: [:])
        let error = await #expect(throws: TransportError.self) {
            try await transport.send(HTTPRequest(method: "GET", url: url(server.port, "/cut"), timeout: .seconds(10)))
        }
        guard case .unreachable = error else {
            Issue.record("expected a failed transfer, got \(String(describing: error))")
            return
        }
    }

    @Test("a 10 MB body arrives whole; one above the cap is refused, not truncated")
    func largeBody() async throws {
        let large = (0..<(10 * 1_000_000)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let server = try LoopbackHTTPServer { received in
            received.path == "/large" ? .respond(status: 200, body: large) : .respond(status: 200, body: [UInt8](repeating: 1, count: 2_000_001))
        }
        defer { server.stop() }
        let transport = CurlTransport(environment: [:], maximumBodyBytes: 2_000_000 + 10_000_000)
        let response = try await transport.send(HTTPRequest(method: "GET", url: url(server.port, "/large"), timeout: .seconds(30)))
        #expect(response.body == Data(large))
        let capped = CurlTransport(environment: [:], maximumBodyBytes: 2_000_000)
        let error = await #expect(throws: TransportError.self) {
            try await capped.send(HTTPRequest(method: "GET", url: url(server.port, "/over"), timeout: .seconds(30)))
        }
        #expect(String(describing: error).contains("2000000 bytes"))
    }

    @Test("a redirect is returned as it is, never followed (it could carry a credential elsewhere)")
    func noRedirect() async throws {
        let followed = Mutex(false)
        let server = try LoopbackHTTPServer { received in
            if received.path == "/elsewhere" { followed.withLock { $0 = true } }
            return .respond(status: 302, headers: ["Location": "/elsewhere"])
        }
        defer { server.stop() }
        let transport = CurlTransport(environment: [:])
        let response = try await transport.send(
            HTTPRequest(method: "GET", url: url(server.port, "/start"), headers: ["Authorization": "Bearer x"], timeout: .seconds(10))
        )
        #expect(response.status == 302)
        #expect(response.header("location") == "/elsewhere")
        #expect(!followed.withLock { $0 })
    }

    @Test("a cancelled task's request ends at once, not at its deadline")
    func cancellation() async throws {
        let server = try LoopbackHTTPServer { _ in .hang }
        defer { server.stop() }
        let transport = CurlTransport(environment: [:])
        let started = ContinuousClock.now
        let task = Task {
            try await transport.send(HTTPRequest(method: "GET", url: url(server.port, "/slow"), timeout: .seconds(300)))
        }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        // Far below the 300 s deadline, with room for a busy machine's scheduling delays.
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test(
        "HTTPS with a private CA: trusted with its ca_file, refused without it, refused for another host name",
        .enabled(if: TestTLSServer.opensslAvailable || requireTools)
    )
    func privateCA() async throws {
        let server = try TestTLSServer()
        defer { server.stop() }
        let transport = CurlTransport(environment: [:])
        var trusted = HTTPRequest(method: "GET", url: url(server.port, "/", host: "localhost", scheme: "https"), timeout: .seconds(10))
        trusted.caFile = server.caFile
        let response = try await transport.send(trusted)
        #expect(response.status == 200)

        // The system store does not hold the private CA.
        var untrusted = trusted
        untrusted.caFile = nil
        let unknownCA = await #expect(throws: TransportError.self) { try await transport.send(untrusted) }
        #expect(String(describing: unknownCA).contains("certificate"))

        // The certificate names localhost only.
        var wrongName = trusted
        wrongName.url = url(server.port, "/", host: "127.0.0.1", scheme: "https")
        let mismatch = await #expect(throws: TransportError.self) { try await transport.send(wrongName) }
        #expect(String(describing: mismatch).contains("127.0.0.1"))
    }

    @Test(
        "https_proxy sends HTTPS through a CONNECT tunnel; a no_proxy host goes direct",
        .enabled(if: TestTLSServer.opensslAvailable || requireTools)
    )
    func proxy() async throws {
        let server = try TestTLSServer()
        defer { server.stop() }
        let proxy = try LoopbackConnectProxy()
        defer { proxy.stop() }
        var request = HTTPRequest(method: "GET", url: url(server.port, "/", host: "localhost", scheme: "https"), timeout: .seconds(10))
        request.caFile = server.caFile

        let proxied = CurlTransport(environment: ["HTTPS_PROXY": "http://127.0.0.1:\(proxy.port)"])
        #expect(try await proxied.send(request).status == 200)
        #expect(proxy.requested == ["localhost:\(server.port)"])

        let bypassing = CurlTransport(environment: ["https_proxy": "http://127.0.0.1:\(proxy.port)", "no_proxy": "example.com,localhost"])
        #expect(try await bypassing.send(request).status == 200)
        #expect(proxy.requested.count == 1)
    }

    @Test(
        "HTTP/2 where the server offers it: an HTTP/2-only server (nghttpd) answers 64 requests at once",
        .enabled(if: TestTLSServer.nghttpdAvailable || requireTools)
    )
    func http2() async throws {
        let server = try TestTLSServer(http2Only: true)
        defer { server.stop() }
        let transport = CurlTransport(environment: [:])
        var request = HTTPRequest(method: "GET", url: url(server.port, "/index.txt", host: "localhost", scheme: "https"), timeout: .seconds(10))
        request.caFile = server.caFile
        let trusted = request
        let bodies = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<64 {
                group.addTask { String(decoding: try await transport.send(trusted).body, as: UTF8.self) }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(bodies == Array(repeating: "hello over h2\n", count: 64))
    }

    @Test("proxy variables: https_proxy before HTTPS_PROXY, http_proxy lower-case only, no_proxy before NO_PROXY")
    func proxyVariables() {
        let both = ProxySettings(environment: ["https_proxy": "http://lower:1", "HTTPS_PROXY": "http://upper:1", "NO_PROXY": ".corp"])
        #expect(both.proxy(forScheme: "https") == "http://lower:1")
        #expect(both.noProxy == ".corp")
        #expect(ProxySettings(environment: ["HTTPS_PROXY": "http://upper:1"]).proxy(forScheme: "https") == "http://upper:1")
        #expect(ProxySettings(environment: ["HTTP_PROXY": "http://httpoxy:1"]).proxy(forScheme: "http") == "")
        #expect(ProxySettings(environment: ["http_proxy": "http://plain:1"]).proxy(forScheme: "http") == "http://plain:1")
        #expect(ProxySettings(environment: ["ALL_PROXY": "http://all:1"]).proxy(forScheme: "https") == "http://all:1")
        #expect(ProxySettings(environment: [:]).proxy(forScheme: "https") == "")
    }
}
