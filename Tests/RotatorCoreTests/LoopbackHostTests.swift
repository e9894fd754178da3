import Foundation
@testable import RotatorCore
import Testing

/// Plain http is allowed to loopback only, so the check decides whether credentials cross a
/// network in clear text: it must parse the host, never match a prefix.
@Suite("Loopback check of plain http URLs")
struct LoopbackHostTests {
    static let loopback = [
        "http://127.0.0.1:8080/api", "http://127.0.0.1", "http://127.255.255.254/", "http://127.8.9.10:1/",
        "http://localhost:9000", "http://LOCALHOST/", "http://[::1]:8001/", "http://[0:0:0:0:0:0:0:1]/", "http://user@127.0.0.1/",
    ]

    static let elsewhere = [
        "http://127.0.0.1.evil.com/", "http://localhost@evil.com/", "http://localhost.evil.com/", "http://127.0.0.1:80@evil.com/",
        "http://evil.com/127.0.0.1", "http://evil.com/#@127.0.0.1", "http://evil.com?localhost", "http://128.0.0.1/", "http://126.0.0.1/",
        "http://127.1/", "http://0x7f.0.0.1/", "http://0177.0.0.1/", "http://127.000.0.1/", "http://127.0.0.256/", "http://127.0.0.1.5/",
        "http://[::2]/", "http://[::ffff:127.0.0.1]/", "http://[::1%25lo]/", "http://localhost./", "http://evil-localhost/",
        "http://127.0.0.1%2eevil.com/", "http://10.0.0.1/", "http://example.com/",
    ]

    @Test("loopback hosts are recognised", arguments: loopback)
    func recognised(text: String) throws {
        let url = try #require(URL(string: text))
        #expect(LoopbackHost.contains(url))
        #expect(Notifier.isAllowed(url))
    }

    @Test("hosts that only look like loopback are not", arguments: elsewhere)
    func refused(text: String) {
        // A URL Foundation cannot parse never reaches the check; all of these parse today.
        guard let url = URL(string: text) else { return }
        #expect(!LoopbackHost.contains(url), "\(text) → host \(url.host(percentEncoded: false) ?? "none")")
        #expect(!Notifier.isAllowed(url))
    }

    @Test("the plan refuses a plain http URL whose host only starts like loopback")
    func planRefuses() throws {
        let plan = PlanFixtures.valid(replacing: "  org: acme", with: "  api_url: http://127.0.0.1.evil.com\n  org: acme")
        let error = try #require(throws: PlanError.self) { try PlanLoader.parse(plan, file: "plan.yaml") }
        #expect(error.diagnostics.contains { $0.message.contains("plain http would send credentials in clear text") }, "\(error)")
    }
}
