import Foundation
import Testing

@testable import RotatorCore

@Suite("Kubernetes endpoint: in-cluster defaults and the CA")
struct KubernetesEndpointTests {
    static let certificate = "-----BEGIN CERTIFICATE-----\nMIIBdummyCA1\nline2==\n-----END CERTIFICATE-----\n"

    func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("k8s-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("in a pod: host and port from the environment, the service-account token and CA, nothing installed system-wide")
    func inCluster() throws {
        let root = try directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "sa-token\n".write(toFile: root + "/token", atomically: true, encoding: .utf8)
        try Self.certificate.write(toFile: root + "/ca.crt", atomically: true, encoding: .utf8)
        let endpoint = try KubernetesEndpoint.resolve(
            KubernetesSettings(apiURL: nil, token: nil, caFile: nil),
            environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "6443"],
            serviceAccountDirectory: root
        )
        #expect(endpoint.apiURL.absoluteString == "https://10.0.0.1:6443")
        #expect(endpoint.token?.withRevealed { $0 } == "sa-token")
        #expect(endpoint.credentialName.contains("service-account token"))
        #expect(endpoint.caFile == root + "/ca.crt")
    }

    @Test("a ca_file is the CA for the API server; an unreadable or empty one is refused at the start, never skipped")
    func explicitCA() throws {
        let root = try directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.certificate.write(toFile: root + "/ca.crt", atomically: true, encoding: .utf8)
        try "not a certificate\n".write(toFile: root + "/empty.crt", atomically: true, encoding: .utf8)
        let url = URL(string: "https://k8s.example.com:6443")
        let endpoint = try KubernetesEndpoint.resolve(
            KubernetesSettings(apiURL: url, token: nil, caFile: root + "/ca.crt"), environment: [:], serviceAccountDirectory: root + "/none"
        )
        #expect(endpoint.caFile == root + "/ca.crt")
        for caFile in [root + "/missing.crt", root + "/empty.crt"] {
            let error = try #require(throws: KubernetesEndpointError.self) {
                try KubernetesEndpoint.resolve(
                    KubernetesSettings(apiURL: url, token: nil, caFile: caFile), environment: [:], serviceAccountDirectory: root + "/none"
                )
            }
            #expect(error.message.contains("providers.kubernetes.ca_file"))
            #expect(error.message.contains(caFile))
        }
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
