import Foundation
import Testing

@testable import RotatorCore

@Suite("Kubernetes endpoint: in-cluster defaults and the CA")
struct KubernetesEndpointTests {
    static let certificate = "-----BEGIN CERTIFICATE-----\nMIIBdummyCA1\nline2==\n-----END CERTIFICATE-----\n"
    static let other = "-----BEGIN CERTIFICATE-----\nMIIBotherCA\n-----END CERTIFICATE-----\n"

    func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("k8s-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("in a pod: host and port from the environment, the service-account token, a CA the system trusts")
    func inCluster() throws {
        let root = try directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "sa-token\n".write(toFile: root + "/token", atomically: true, encoding: .utf8)
        try Self.certificate.write(toFile: root + "/ca.crt", atomically: true, encoding: .utf8)
        try (Self.other + Self.certificate).write(toFile: root + "/bundle.crt", atomically: true, encoding: .utf8)
        let endpoint = try KubernetesEndpoint.resolve(
            KubernetesSettings(apiURL: nil, token: nil, caFile: nil),
            environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "6443"],
            serviceAccountDirectory: root, systemCABundle: root + "/bundle.crt"
        )
        #expect(endpoint.apiURL.absoluteString == "https://10.0.0.1:6443")
        #expect(endpoint.token?.withRevealed { $0 } == "sa-token")
        #expect(endpoint.credentialName.contains("service-account token"))
    }

    @Test("a ca_file the system store does not hold is refused with the way to install it, never skipped")
    func untrustedCA() throws {
        let root = try directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.certificate.write(toFile: root + "/ca.crt", atomically: true, encoding: .utf8)
        try Self.other.write(toFile: root + "/bundle.crt", atomically: true, encoding: .utf8)
        let settings = KubernetesSettings(apiURL: URL(string: "https://k8s.example.com:6443"), token: nil, caFile: root + "/ca.crt")
        let error = try #require(throws: KubernetesEndpointError.self) {
            try KubernetesEndpoint.resolve(settings, environment: [:], serviceAccountDirectory: root + "/none", systemCABundle: root + "/bundle.crt")
        }
        #expect(error.message.contains("providers.kubernetes.ca_file"))
        #expect(error.message.contains("update-ca-certificates"))
        #expect(error.message.contains("kubectl proxy"))
    }

    @Test("outside a cluster without api_url: a clear error; a kubectl proxy on loopback needs no CA and no token")
    func outsideCluster() throws {
        let error = try #require(throws: KubernetesEndpointError.self) {
            try KubernetesEndpoint.resolve(KubernetesSettings(), environment: [:], serviceAccountDirectory: "/nonexistent")
        }
        #expect(error.message.contains("KUBERNETES_SERVICE_HOST"))
        let proxy = try KubernetesEndpoint.resolve(
            KubernetesSettings(apiURL: URL(string: "http://127.0.0.1:8001")), environment: [:], serviceAccountDirectory: "/nonexistent"
        )
        #expect(proxy.token == nil)
    }
}
