import Foundation
import Logging
import RotatorEmulators
import Synchronization
import Testing
@testable import RotatorCore

/// A Secret with `restart:` is verified only once the Deployment has rolled out: pods started
/// before the restart keep the old token in their environment until they are replaced, so the
/// old token must not be revoked before (review of issue 10). The rule is `kubectl rollout
/// status`'s, over the status fields documented at
/// https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#deployment-status
@Suite("Kubernetes restart: verified only once the rollout is complete")
struct KubernetesRolloutTests {
    private static func deployment(generation: Int, observed: Int?, wanted: Int = 2, updated: Int, total: Int, available: Int, deadlineExceeded: Bool = false) -> [String: Any] {
        var status: [String: Any] = ["replicas": total, "updatedReplicas": updated, "availableReplicas": available]
        if let observed { status["observedGeneration"] = observed }
        if deadlineExceeded { status["conditions"] = [["type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"]] }
        return ["metadata": ["generation": generation], "spec": ["replicas": wanted], "status": status]
    }

    @Test("the rollout states kubectl tells apart")
    func rolloutStates() {
        typealias Target = KubernetesSecretTarget
        #expect(Target.rollout(Self.deployment(generation: 3, observed: 3, updated: 2, total: 2, available: 2)) == .complete)
        #expect(Target.rollout(Self.deployment(generation: 3, observed: 2, updated: 2, total: 2, available: 2)) == .waiting("the new generation is not observed yet"))
        #expect(Target.rollout(Self.deployment(generation: 3, observed: nil, updated: 2, total: 2, available: 2)) == .waiting("the new generation is not observed yet"))
        #expect(Target.rollout(Self.deployment(generation: 3, observed: 3, updated: 1, total: 2, available: 2)) == .waiting("1 of 2 replicas updated"))
        #expect(Target.rollout(Self.deployment(generation: 3, observed: 3, updated: 2, total: 3, available: 2)) == .waiting("1 old replicas pending termination"))
        #expect(Target.rollout(Self.deployment(generation: 3, observed: 3, updated: 2, total: 2, available: 1)) == .waiting("1 of 2 updated replicas available"))
        #expect(Target.rollout(Self.deployment(generation: 3, observed: 3, updated: 1, total: 2, available: 1, deadlineExceeded: true)) == .failed("ProgressDeadlineExceeded"))
    }

    /// Seconds the target has slept: the test clock.
    final class TestClock: Sendable {
        let seconds = Mutex(0)
    }

    /// The emulator's Deployment controller moves one step per read; the test clock moves only when
    /// the target sleeps between reads.
    private func world(stalled: Bool) async throws -> (KubernetesSecretTarget, KubernetesEmulator, EmulatorServer, TestClock) {
        let token = "kube-sa-rollout-test-0123456789"
        let emulator = KubernetesEmulator(acceptedTokens: [token])
        emulator.addNamespace("api")
        emulator.addDeployment(namespace: "api", name: "api")
        if stalled { emulator.stallRollouts(namespace: "api", name: "api") }
        let server = try await emulator.start()
        let client = KubernetesClient(
            transport: CurlTransport(), endpoint: KubernetesEndpoint(apiURL: server.baseURL, token: Secret(token), credentialName: "providers.kubernetes.token")
        )
        let key = KubernetesSecretKey(namespace: "api", secret: "envshed", key: "ENVSHED_TOKEN", restartDeployment: "api")
        let target = Target(kind: .kubernetesSecret(key), location: SourceLocation(file: "plan.yaml", line: 1, column: 1))
        let clock = TestClock()
        let writer = KubernetesSecretTarget(
            target: target, secret: key, client: client,
            now: { Date(timeIntervalSince1970: 1_800_000_000 + Double(clock.seconds.withLock { $0 })) },
            sleep: { duration in clock.seconds.withLock { $0 += Int(duration.components.seconds) } }, rolloutTimeout: 30
        )
        return (writer, emulator, server, clock)
    }

    @Test("after the restart the read-back waits until every replica is updated and available")
    func waitsForTheRollout() async throws {
        let (writer, emulator, server, clock) = try await world(stalled: false)
        defer { Task { await server.stop() } }
        let logger = Logger(label: "test")
        let receipt = try await writer.push(Secret("envshed_svc_rollout0123456789"), logger: logger)
        _ = try await writer.verify(receipt, logger: logger)
        let reads = emulator.requests.filter { $0.method == "GET" && $0.path.contains("/deployments/") }
        #expect(reads.count == 3, "generation observed, then one replica per read: \(reads.count) reads")
        #expect(clock.seconds.withLock { $0 } == 2, "two waits between three reads")
    }

    @Test("a rollout that never completes fails the read-back after the timeout: the old token stays valid")
    func stalledRolloutFails() async throws {
        let (writer, _, server, clock) = try await world(stalled: true)
        defer { Task { await server.stop() } }
        let logger = Logger(label: "test")
        let receipt = try await writer.push(Secret("envshed_svc_rollout0123456789"), logger: logger)
        let error = try await #require(throws: TargetError.self) { _ = try await writer.verify(receipt, logger: logger) }
        #expect(error.description.contains("not complete after 30 s"), "\(error)")
        #expect(error.description.contains("the old token") && error.description.contains("stays valid"), "\(error)")
        #expect(clock.seconds.withLock { $0 } >= 30)
    }
}
