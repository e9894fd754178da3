import Foundation
import Logging
import Synchronization
import Testing

@testable import RotatorCore

@Suite("ca_file on every provider reaches the transport for that provider's host")
struct ProviderCAFileTests {
    static let plan = """
        version: 1
        envshed:
          api_url: https://envshed.internal
          org: acme
          token: env:ENVSHED_TOKEN
          ca_file: /etc/ca/envshed.crt
        providers:
          github:
            api_url: https://github.internal/api/v3
            token: env:GITHUB_TOKEN
            ca_file: /etc/ca/github.crt
          gitlab:
            api_url: https://gitlab.internal:8443/api/v4
            token: env:GITLAB_TOKEN
            ca_file: /etc/ca/gitlab.crt
          kubernetes:
            api_url: https://k8s.internal:6443
            ca_file: KUBERNETES_CA
        rotations:
          - id: api
            purpose: deploy
            scope: project
            project: { slug: api, id: 3f1c2b7e-0000-4000-8000-000000000001 }
            verify: { pull: { project: api, environment: production } }
            targets:
              - github: { repo: acme/api, secret: ENVSHED_TOKEN }

        """

    @Test("each provider's requests carry its own ca_file, Kubernetes' included; an unrelated host keeps the system store")
    func wiring() async throws {
        // Kubernetes' CA is read when the endpoint is resolved, so it must exist.
        let kubernetesCA = FileManager.default.temporaryDirectory.appendingPathComponent("k8s-ca-\(UUID().uuidString.prefix(8)).crt").path
        try "-----BEGIN CERTIFICATE-----\nMIIBdummy\n-----END CERTIFICATE-----\n".write(toFile: kubernetesCA, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: kubernetesCA) }
        let plan = try PlanLoader.parse(Self.plan.replacingOccurrences(of: "KUBERNETES_CA", with: kubernetesCA), file: "plan.yaml")
        #expect(plan.envshed.caFile == "/etc/ca/envshed.crt")
        #expect(plan.github?.caFile == "/etc/ca/github.crt")
        #expect(plan.gitlab?.caFile == "/etc/ca/gitlab.crt")
        let recorder = TrustingTransportTests.Recorder()
        let rotator = Rotator(
            environment: RotatorEnvironment(variables: [:], transport: recorder, logger: Logger(label: "test")), planPath: "plan.yaml"
        )
        let transport = rotator.transport(for: plan)
        let addresses = [
            "https://envshed.internal/api/v1/x", "https://github.internal/api/v3/x", "https://gitlab.internal:8443/api/v4/x",
            "https://k8s.internal:6443/api/v1/x", "https://hooks.slack.com/x",
        ]
        for address in addresses {
            _ = try await transport.send(HTTPRequest(method: "GET", url: URL(string: address)!))
        }
        let seen = recorder.seen.withLock { $0 }
        #expect(seen[addresses[0]] == .some("/etc/ca/envshed.crt"))
        #expect(seen[addresses[1]] == .some("/etc/ca/github.crt"))
        #expect(seen[addresses[2]] == .some("/etc/ca/gitlab.crt"))
        #expect(seen[addresses[3]] == .some(kubernetesCA))
        #expect(seen[addresses[4]] == .some(nil))
    }

    @Test("a relative ca_file is refused with where it is")
    func relative() throws {
        let yaml = Self.plan.replacingOccurrences(of: "ca_file: /etc/ca/gitlab.crt", with: "ca_file: gitlab.crt")
        let error = try #require(throws: PlanError.self) { try PlanLoader.parse(yaml, file: "plan.yaml") }
        #expect(error.description.contains("providers.gitlab.ca_file: expected an absolute path, got 'gitlab.crt'"))
    }
}
