import Crypto
import Foundation
import Logging
import Testing
import _CryptoExtras

@testable import RotatorCore

@Suite("GitHub App authentication")
struct GitHubAppJWTTests {
    static func decode(_ part: Substring) throws -> Data {
        var text = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        #expect(!text.contains("="), "base64url without padding")
        while text.count % 4 != 0 { text += "=" }
        return try #require(Data(base64Encoded: text))
    }

    @Test("the JWT is RS256 with iat 60 s back, exp 9 min ahead, iss the App id, and verifies with the public key", arguments: [false, true])
    func jwt(pkcs8: Bool) throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let pem = pkcs8 ? key.pkcs8PEMRepresentation : key.pemRepresentation
        #expect(pkcs8 || pem.hasPrefix("-----BEGIN RSA PRIVATE KEY-----"), "GitHub issues PKCS#1 keys")
        let jwt = try GitHubAppJWT(appID: 12345, privateKeyPEM: Secret(pem))
        let now = Date(timeIntervalSince1970: 1_800_000_000.7)
        let token = try jwt.token(now: now)

        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 3)
        let header = try #require(try JSONSerialization.jsonObject(with: Self.decode(parts[0])) as? [String: Any])
        #expect(header["alg"] as? String == "RS256")
        #expect(header["typ"] as? String == "JWT")
        let claims = try #require(try JSONSerialization.jsonObject(with: Self.decode(parts[1])) as? [String: Any])
        #expect(claims["iat"] as? Int == 1_800_000_000 - 60)
        #expect(claims["exp"] as? Int == 1_800_000_000 + 540)
        #expect(claims["iss"] as? Int == 12345)
        let expiry = try #require(claims["exp"] as? Int)
        #expect(Double(expiry) - now.timeIntervalSince1970 <= 600, "GitHub refuses exp more than 10 minutes ahead")

        let signature = _RSA.Signing.RSASignature(rawRepresentation: try Self.decode(parts[2]))
        let signed = Data("\(parts[0]).\(parts[1])".utf8)
        #expect(key.publicKey.isValidSignature(signature, for: signed, padding: .insecurePKCS1v1_5))
        let other = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        #expect(!other.publicKey.isValidSignature(signature, for: signed, padding: .insecurePKCS1v1_5))
    }

    @Test("a mangled key is refused without quoting it")
    func mangledKey() throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let mangled = key.pemRepresentation.replacingOccurrences(of: "\n", with: " ")
        let error = try #require(throws: GitHubAppKeyError.self) { try GitHubAppJWT(appID: 1, privateKeyPEM: Secret(mangled)) }
        #expect(error.description.contains("not a PEM RSA private key"))
        #expect(!error.description.contains(String(mangled.dropFirst(40).prefix(20))))
    }

    @Test("the installation token is minted once for concurrent users and again when less than 5 minutes remain")
    func installationTokenCache() async throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let transport = FakeTransport { request in
            #expect(request.method == "POST")
            #expect(request.url.path == "/app/installations/678/access_tokens")
            #expect(request.headers["Authorization"]?.hasPrefix("Bearer ey") == true)
            let expires = Timestamp.format(clock.now().addingTimeInterval(3600))
            let body = #"{"token":"ghs_\#(UUID().uuidString.prefix(8))","expires_at":"\#(expires)"}"#
            return HTTPResponse(status: 201, body: Data(body.utf8))
        }
        let settings = GitHubAppSettings(appID: 12345, installationID: 678, privateKey: .file("/unused"))
        let cache = InstallationTokenCache(
            settings: settings, jwt: try GitHubAppJWT(appID: 12345, privateKeyPEM: Secret(key.pemRepresentation)),
            transport: transport, baseURL: try #require(URL(string: "http://127.0.0.1:1")), now: clock.now
        )
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let tokens = try await withThrowingTaskGroup(of: Secret.self) { group in
            for _ in 0..<8 { group.addTask { try await cache.token(logger: logger) } }
            return try await group.reduce(into: [Secret]()) { $0.append($1) }
        }
        #expect(Set(tokens.map(\.fingerprint)).count == 1)
        #expect(transport.requests.count == 1, "single-flight: one mint for eight concurrent users")

        clock.advance(by: 54 * 60)
        _ = try await cache.token(logger: logger)
        #expect(transport.requests.count == 1, "six minutes left: still used")
        clock.advance(by: 2 * 60)
        let refreshed = try await cache.token(logger: logger)
        #expect(transport.requests.count == 2, "four minutes left: minted again")
        #expect(refreshed.fingerprint != tokens[0].fingerprint)
    }
}

/// A settable clock for code that takes `now: () -> Date`.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date) {
        current = start
    }

    @Sendable func now() -> Date {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    func advance(by seconds: TimeInterval) {
        lock.lock()
        current = current.addingTimeInterval(seconds)
        lock.unlock()
    }
}

/// Answers requests with `handler` and records them.
final class FakeTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [HTTPRequest] = []
    private let handler: @Sendable (HTTPRequest) async throws -> HTTPResponse

    init(handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) {
        self.handler = handler
    }

    var requests: [HTTPRequest] {
        lock.lock()
        defer { lock.unlock() }
        return seen
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        lock.withLock { seen.append(request) }
        return try await handler(request)
    }
}
