import Foundation
import Logging
@testable import RotatorCore
import Testing

/// GitLab Free ignores `environment_scope` and `filter` on group variables
/// (https://docs.gitlab.com/api/group_level_variables/: both Premium and Ultimate only): a write
/// meant for `production` lands in the `*` variable. The read-back must catch it.
@Suite("GitLab group variable: a write that landed in another scope fails the read-back")
struct GitLabGroupScopeReadBackTests {
    @Test("the group answers with scope '*' for a variable planned in 'production': verify fails and says why")
    func wrongScopeDetected() async throws {
        let token = "envshed_svc_" + String(repeating: "a1", count: 20)
        // As Free answers: the filter is ignored, the one variable of the key is `*`.
        let transport = ScriptedTransport { request in
            let body = #"{"key":"ENVSHED_TOKEN","value":"\#(token)","environment_scope":"*","masked":true,"protected":false,"raw":true,"hidden":false}"#
            return HTTPResponse(status: 200, body: Data(body.utf8))
        }
        let client = GitLabClient(
            transport: transport, baseURL: try #require(URL(string: "https://gitlab.example.com/api/v4")), credential: Secret("glpat-test"),
            authentication: .privateToken
        )
        let variable = GitLabVariable(owner: .group("acme"), key: "ENVSHED_TOKEN", environmentScope: "production", masked: true, protected: false, raw: true, hidden: false)
        let target = GitLabVariableTarget(target: Target(kind: .gitlabVariable(variable), location: SourceLocation(file: "plan.yaml", line: 1, column: 1)), variable: variable, client: client)
        let logger = Logger(label: "test")
        let receipt = try await target.push(Secret(token), logger: logger)
        let error = try await #require(throws: TargetError.self) { try await target.verify(receipt, logger: logger) }
        #expect(error.description.contains("the write landed in environment scope '*', not the plan's 'production'"), "\(error)")
        #expect(error.mayHaveWritten, "the variable in scope '*' holds the new token now")
        #expect(!error.description.contains(token))
    }
}
