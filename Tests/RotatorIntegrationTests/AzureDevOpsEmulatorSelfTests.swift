import Foundation
import RotatorEmulators
import Testing

/// The Azure DevOps emulator behaves as the service is documented (or, where the docs are silent,
/// as users report it), since the target's safety rests on these behaviours.
@Suite("Azure DevOps emulator follows the variable-group API")
struct AzureDevOpsEmulatorSelfTests {
    static let pat = "azdo-self-test-pat"

    static func withEmulator(_ body: (AzureDevOpsEmulator, LoopbackClient) async throws -> Void) async throws {
        let emulator = AzureDevOpsEmulator(acceptedTokens: [pat])
        emulator.addProject(organization: "acme", project: "platform")
        emulator.addGroup(
            organization: "acme", project: "platform", id: 3, name: "tokens",
            variables: ["PLAIN": AzureDevOpsStoredVariable(value: "p", isSecret: false), "SECRET": AzureDevOpsStoredVariable(value: "s3cret", isSecret: true)]
        )
        let server = try await emulator.start()
        let basic = "Basic " + Data("anyone:\(pat)".utf8).base64EncodedString()
        do {
            try await body(emulator, LoopbackClient(base: server.baseURL, headers: ["Authorization": basic]))
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    static let group = "/acme/platform/_apis/distributedtask/variablegroups"
    static let put = "/acme/_apis/distributedtask/variablegroups/3?api-version=7.1"

    @Test("GET never returns a secret's value (https://learn.microsoft.com/en-us/rest/api/azure/devops/distributedtask/variablegroups/get?view=azure-devops-rest-7.1)")
    func secretsNeverReturned() async throws {
        try await Self.withEmulator { _, client in
            let answer = try await client.send("GET", Self.group + "/3?api-version=7.1")
            #expect(answer.status == 200)
            let variables = try #require(answer.object["variables"] as? [String: [String: Any]])
            #expect(variables["SECRET"]?["isSecret"] as? Bool == true)
            #expect(variables["SECRET"]?["value"] is NSNull)
            #expect(variables["PLAIN"]?["value"] as? String == "p")
            #expect(answer.object["modifiedOn"] as? String != nil)
            #expect((answer.object["variableGroupProjectReferences"] as? [Any])?.isEmpty == false)
        }
    }

    @Test("PUT replaces the whole set: an omitted variable is deleted (https://github.com/MicrosoftDocs/vsts-rest-api-specs/issues/235); a secret sent as null keeps its value (https://github.com/microsoft/terraform-provider-azuredevops/issues/1433)")
    func putReplacesTheSet() async throws {
        try await Self.withEmulator { emulator, client in
            let read = try await client.send("GET", Self.group + "/3?api-version=7.1").object
            let references = try #require(read["variableGroupProjectReferences"])
            let keep = try await client.send("PUT", Self.put, json: [
                "name": "tokens", "type": "Vsts", "variableGroupProjectReferences": references,
                "variables": ["SECRET": ["value": NSNull(), "isSecret": true] as [String: Any], "NEW": ["value": "n", "isSecret": true] as [String: Any]],
            ])
            #expect(keep.status == 200)
            #expect(emulator.variable(groupID: 3, name: "SECRET")?.value == "s3cret", "null keeps a secret's value")
            #expect(emulator.variable(groupID: 3, name: "PLAIN") == nil, "the variable left out is deleted")
            #expect(emulator.variable(groupID: 3, name: "NEW") == AzureDevOpsStoredVariable(value: "n", isSecret: true))
            #expect(try #require(keep.object["modifiedOn"] as? String) > (read["modifiedOn"] as? String ?? ""))
            // Without the project references the update is refused (https://github.com/MicrosoftDocs/vsts-rest-api-specs/issues/531).
            let bare = try await client.send("PUT", Self.put, json: ["name": "tokens", "type": "Vsts", "variables": [String: Any]()])
            #expect(bare.status == 401)
            #expect(emulator.variable(groupID: 3, name: "NEW") != nil)
        }
    }

    @Test("api-version is required; no credential gets the sign-in page (203), a wrong one 401")
    func versionAndAuth() async throws {
        try await Self.withEmulator { emulator, client in
            let unversioned = try await client.send("GET", Self.group + "/3")
            #expect(unversioned.status == 400 && unversioned.object["typeKey"] as? String == "VssVersionNotSpecifiedException")
            let anonymous = LoopbackClient(base: client.base, headers: [:])
            let page = try await anonymous.send("GET", Self.group + "/3?api-version=7.1")
            #expect(page.status == 203 && page.header("content-type")?.contains("text/html") == true)
            let wrong = LoopbackClient(base: client.base, headers: ["Authorization": "Basic " + Data(":nope".utf8).base64EncodedString()])
            #expect(try await wrong.send("GET", Self.group + "/3?api-version=7.1").status == 401)
            let bearer = LoopbackClient(base: client.base, headers: ["Authorization": "Bearer \(Self.pat)"])
            #expect(try await bearer.send("GET", Self.group + "/3?api-version=7.1").status == 200)
            #expect(emulator.writes.isEmpty)
        }
    }

    @Test("lists page with x-ms-continuationtoken and match groupName case-insensitively (https://learn.microsoft.com/en-us/rest/api/azure/devops/distributedtask/variablegroups/get-variable-groups?view=azure-devops-rest-7.1)")
    func listPages() async throws {
        try await Self.withEmulator { emulator, client in
            for id in 10..<13 { emulator.addGroup(organization: "acme", project: "platform", id: id, name: "team-\(id)") }
            emulator.setPageSize(2)
            var names: [String] = []
            var token: String?
            repeat {
                let answer = try await client.send("GET", Self.group + "?groupName=TEAM-*&api-version=7.1" + (token.map { "&continuationToken=\($0)" } ?? ""))
                names += (answer.object["value"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                token = answer.header("x-ms-continuationtoken")
            } while token != nil
            #expect(names == ["team-10", "team-11", "team-12"])
        }
    }

    @Test("past the limit: 429, Retry-After and X-RateLimit-* (https://learn.microsoft.com/en-us/azure/devops/integrate/concepts/rate-limits)")
    func rateLimit() async throws {
        try await Self.withEmulator { emulator, client in
            emulator.setRateLimit(requests: 1, perSeconds: 30)
            #expect(try await client.send("GET", Self.group + "/3?api-version=7.1").status == 200)
            let blocked = try await client.send("GET", Self.group + "/3?api-version=7.1")
            #expect(blocked.status == 429)
            #expect(Int(blocked.header("retry-after") ?? "") ?? 0 >= 1)
            #expect(blocked.header("x-ratelimit-resource") != nil && blocked.header("x-ratelimit-remaining") == "0")
            #expect((blocked.object["message"] as? String)?.hasPrefix("TF400733") == true)
        }
    }
}
