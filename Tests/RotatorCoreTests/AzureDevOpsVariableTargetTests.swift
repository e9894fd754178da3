import Foundation
import Logging
@testable import RotatorCore
import RotatorEmulators
import Testing

/// The Azure DevOps variable-group target against the loopback emulator, through the production
/// transport under the same retry layer the binary uses.
@Suite("Azure DevOps variable group target")
struct AzureDevOpsVariableTargetTests {
    static let pat = "azdo-pat-" + String(repeating: "7q", count: 20)
    static let organization = "acme"
    static let project = "platform"

    /// An emulator with project acme/platform and group 7 `deploy-tokens` holding a plain and a secret variable.
    final class World: Sendable {
        let emulator: AzureDevOpsEmulator
        let server: EmulatorServer
        let client: AzureDevOpsClient

        init() async throws {
            emulator = AzureDevOpsEmulator(acceptedTokens: [AzureDevOpsVariableTargetTests.pat])
            emulator.addProject(organization: AzureDevOpsVariableTargetTests.organization, project: AzureDevOpsVariableTargetTests.project)
            emulator.addGroup(
                organization: AzureDevOpsVariableTargetTests.organization, project: AzureDevOpsVariableTargetTests.project, id: 7, name: "deploy-tokens",
                variables: [
                    "REGION": AzureDevOpsStoredVariable(value: "westeurope", isSecret: false),
                    "DB_PASSWORD": AzureDevOpsStoredVariable(value: "hunter2-kept", isSecret: true),
                ]
            )
            server = try await emulator.start()
            let transport = RetryingTransport(ProductionTransport.make(), policy: .fast, logger: Logger(label: "test"))
            client = AzureDevOpsClient(transport: transport, baseURL: server.baseURL, credential: Secret(AzureDevOpsVariableTargetTests.pat), authentication: .pat)
        }

        func target(group: String = "deploy-tokens", variable: String) -> AzureDevOpsVariableTarget {
            let spec = AzureDevOpsVariable(
                organization: AzureDevOpsVariableTargetTests.organization, project: AzureDevOpsVariableTargetTests.project, group: group, variable: variable
            )
            return AzureDevOpsVariableTarget(
                target: Target(kind: .azureDevOpsVariable(spec), location: SourceLocation(file: "plan.yaml", line: 1, column: 1)),
                variable: spec, client: client
            )
        }

        func stop() async { await server.stop() }
    }

    static func token(_ tag: String) -> String { "envshed_svc_" + tag + String(repeating: "x9", count: 16) }

    let logger = Logger(label: "test")

    @Test("push sets the one variable as a secret, keeps every other variable (a secret's value too), and verify passes")
    func pushKeepsOthers() async throws {
        let world = try await World()
        defer { Task { await world.stop() } }
        let target = world.target(variable: "ENVSHED_TOKEN")
        let token = Self.token("a")
        let receipt = try await target.push(Secret(token), logger: logger)
        #expect(receipt.created)
        let observation = try await target.verify(receipt, logger: logger)
        #expect(observation.updatedAt != nil)
        #expect(world.emulator.variable(groupID: 7, name: "ENVSHED_TOKEN") == AzureDevOpsStoredVariable(value: token, isSecret: true))
        // https://github.com/microsoft/terraform-provider-azuredevops/issues/1433: a secret sent back as null keeps its value.
        #expect(world.emulator.variable(groupID: 7, name: "DB_PASSWORD") == AzureDevOpsStoredVariable(value: "hunter2-kept", isSecret: true))
        #expect(world.emulator.variable(groupID: 7, name: "REGION") == AzureDevOpsStoredVariable(value: "westeurope", isSecret: false))
        // The second rotation updates in place.
        let second = try await target.push(Secret(Self.token("b")), logger: logger)
        #expect(!second.created)
        _ = try await target.verify(second, logger: logger)
        #expect(world.emulator.variable(groupID: 7, name: "ENVSHED_TOKEN")?.value == Self.token("b"))
        #expect(world.emulator.writes.count == 2)
        #expect(world.emulator.requests.allSatisfy { $0.query?.contains("api-version=7.1") == true })
    }

    @Test("two rotations writing two variables of one group at once: neither write is lost (the group PUT is serialized)")
    func concurrentWritesToOneGroup() async throws {
        let world = try await World()
        defer { Task { await world.stop() } }
        // Slow answers: without serialization both reads finish before either PUT, and the second
        // PUT (the whole group, https://github.com/MicrosoftDocs/vsts-rest-api-specs/issues/235)
        // drops the first one's variable.
        world.emulator.setLatency(.milliseconds(150))
        let names = ["API_TOKEN", "WEB_TOKEN", "JOBS_TOKEN"]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in names {
                group.addTask {
                    let target = world.target(variable: name)
                    let receipt = try await target.push(Secret(Self.token(name)), logger: logger)
                    _ = try await target.verify(receipt, logger: logger)
                }
            }
            try await group.waitForAll()
        }
        for name in names {
            #expect(world.emulator.variable(groupID: 7, name: name) == AzureDevOpsStoredVariable(value: Self.token(name), isSecret: true), "\(name) was lost")
        }
        #expect(world.emulator.variable(groupID: 7, name: "DB_PASSWORD")?.value == "hunter2-kept")
        #expect(world.emulator.variable(groupID: 7, name: "REGION")?.value == "westeurope")
    }

    @Test("the group is found by name across pages (x-ms-continuationtoken), or by id")
    func groupByNameAcrossPages() async throws {
        let world = try await World()
        defer { Task { await world.stop() } }
        for id in 20..<25 { world.emulator.addGroup(organization: Self.organization, project: Self.project, id: id, name: "other-\(id)") }
        world.emulator.addGroup(organization: Self.organization, project: Self.project, id: 30, name: "deploy-tokens-extra")
        world.emulator.setPageSize(1)
        let byName = world.target(variable: "ENVSHED_TOKEN")
        _ = try await byName.verify(try await byName.push(Secret(Self.token("c")), logger: logger), logger: logger)
        #expect(world.emulator.variable(groupID: 7, name: "ENVSHED_TOKEN")?.value == Self.token("c"))
        #expect(world.emulator.variables(groupID: 30).isEmpty, "a group whose name only starts the same is not written")
        let byID = world.target(group: "7", variable: "OTHER_TOKEN")
        _ = try await byID.verify(try await byID.push(Secret(Self.token("d")), logger: logger), logger: logger)
        #expect(world.emulator.variable(groupID: 7, name: "OTHER_TOKEN")?.value == Self.token("d"))
    }

    @Test("a missing group, a Key Vault group and a read-only variable are refused without a write")
    func refusals() async throws {
        let world = try await World()
        defer { Task { await world.stop() } }
        world.emulator.addGroup(organization: Self.organization, project: Self.project, id: 8, name: "vault-linked", type: "AzureKeyVault")
        world.emulator.addGroup(
            organization: Self.organization, project: Self.project, id: 9, name: "locked",
            variables: ["ENVSHED_TOKEN": AzureDevOpsStoredVariable(value: nil, isSecret: true, isReadOnly: true)]
        )
        let missing = await #expect(throws: TargetError.self) { try await world.target(group: "nope", variable: "ENVSHED_TOKEN").push(Secret(Self.token("e")), logger: logger) }
        #expect(missing?.description.contains("no variable group 'nope' in acme/platform") == true, "\(String(describing: missing))")
        let vault = await #expect(throws: TargetError.self) { try await world.target(group: "vault-linked", variable: "ENVSHED_TOKEN").push(Secret(Self.token("e")), logger: logger) }
        #expect(vault?.description.contains("Key Vault") == true)
        let locked = await #expect(throws: TargetError.self) { try await world.target(group: "locked", variable: "envshed_token").push(Secret(Self.token("e")), logger: logger) }
        #expect(locked?.description.contains("read-only") == true)
        #expect(world.emulator.writes.isEmpty)
        for error in [missing, vault, locked] { #expect(error?.mayHaveWritten == false) }
    }

    @Test("verify fails when the variable is gone, no longer secret, or the group was not modified since the write")
    func verifyCatchesProblems() async throws {
        let world = try await World()
        defer { Task { await world.stop() } }
        let target = world.target(variable: "ENVSHED_TOKEN")
        let receipt = try await target.push(Secret(Self.token("f")), logger: logger)
        world.emulator.editByHand(groupID: 7, name: "ENVSHED_TOKEN", AzureDevOpsStoredVariable(value: Self.token("f"), isSecret: false))
        let plain = await #expect(throws: TargetError.self) { try await target.verify(receipt, logger: logger) }
        #expect(plain?.description.contains("is not secret") == true, "\(String(describing: plain))")
        #expect(plain?.description.contains(Self.token("f")) == false)
        world.emulator.editByHand(groupID: 7, name: "ENVSHED_TOKEN", nil)
        let gone = await #expect(throws: TargetError.self) { try await target.verify(receipt, logger: logger) }
        #expect(gone?.description.contains("has no variable ENVSHED_TOKEN") == true)
        // A receipt from the future: the group's modifiedOn is older than "our write".
        let again = try await target.push(Secret(Self.token("g")), logger: logger)
        let future = PushReceipt(startedAt: again.startedAt.addingTimeInterval(3_600), created: false)
        let stale = await #expect(throws: TargetError.self) { try await target.verify(future, logger: logger) }
        #expect(stale?.description.contains("the write did not land") == true)
    }

    @Test("a 429 with Retry-After is waited out and the write goes through (https://learn.microsoft.com/en-us/azure/devops/integrate/concepts/rate-limits)")
    func rateLimitHonoured() async throws {
        let world = try await World()
        defer { Task { await world.stop() } }
        world.emulator.setRateLimit(requests: 2, perSeconds: 1)
        let target = world.target(variable: "ENVSHED_TOKEN")
        let receipt = try await target.push(Secret(Self.token("h")), logger: logger)
        _ = try await target.verify(receipt, logger: logger)
        #expect(world.emulator.requests.contains { $0.status == 429 }, "the limiter answered 429 at least once")
        #expect(world.emulator.variable(groupID: 7, name: "ENVSHED_TOKEN")?.value == Self.token("h"))
    }

    @Test("a wrong PAT is a 401 that names the credential; no credential gets the sign-in page (203), never taken for success")
    func authenticationFailures() async throws {
        let world = try await World()
        defer { Task { await world.stop() } }
        let transport = RetryingTransport(ProductionTransport.make(), policy: .fast, logger: Logger(label: "test"))
        let wrong = AzureDevOpsClient(transport: transport, baseURL: world.server.baseURL, credential: Secret("not-the-pat"), authentication: .pat)
        let spec = AzureDevOpsVariable(organization: Self.organization, project: Self.project, group: "deploy-tokens", variable: "ENVSHED_TOKEN")
        let target = AzureDevOpsVariableTarget(
            target: Target(kind: .azureDevOpsVariable(spec), location: SourceLocation(file: "plan.yaml", line: 1, column: 1)), variable: spec, client: wrong
        )
        let error = await #expect(throws: TargetError.self) { try await target.push(Secret(Self.token("i")), logger: logger) }
        #expect(error?.status == 401)
        #expect(error?.description.contains("providers.azure_devops.token was rejected") == true, "\(String(describing: error))")
        let page = HTTPResponse(status: 203, headers: ["content-type": "text/html"], body: Data("<html>Sign In</html>".utf8))
        let signIn = wrong.failure(page, target: target.target, variable: spec, operation: "read variable group")
        #expect(signIn.description.contains("sign-in page"))
        #expect(world.emulator.writes.isEmpty)
    }

    @Test("Azure DevOps' seven-digit fractions in modifiedOn are read")
    func sevenDigitFractions() throws {
        let date = try #require(AzureDevOpsGroup.parseDate("2026-12-02T15:30:00.1234567Z"))
        #expect(abs(date.timeIntervalSince1970 - 1_796_225_400.123) < 0.001)
        #expect(AzureDevOpsGroup.parseDate("2026-12-02T15:30:00Z") != nil)
    }
}
