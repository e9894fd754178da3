import Foundation
import Testing
@testable import RotatorCore

/// A create answer must describe the token that was asked for (issue 10, item 3): a token for
/// another project or environment would be pushed to every pipeline of the rotation.
@Suite("The create answer is checked against the request")
struct CreateAnswerCheckTests {
    private let request = NewServiceToken(
        name: "api-production-ci-1", description: "", scope: .environment, projectID: "p-1", environmentID: "e-1",
        permission: .read, expiresInDays: 30
    )

    private func token(scope: TokenScope? = .environment, permission: TokenPermission? = .read, project: String? = "p-1", environment: String? = "e-1") -> ServiceToken {
        ServiceToken(id: "t", name: "n", scope: scope, permission: permission, projectID: project, environmentID: environment)
    }

    @Test("what was asked for passes; fields the answer leaves out are left to the test pull")
    func matchingAnswers() {
        #expect(RotationExecutor.mismatch(token(), request: request) == nil)
        #expect(RotationExecutor.mismatch(token(scope: nil, permission: nil, project: nil, environment: nil), request: request) == nil)
    }

    @Test("another scope, permission, project or environment is refused and named", arguments: [
        (TokenScope.project, TokenPermission.read, "p-1", "e-1", "scope project"),
        (.environment, .readWrite, "p-1", "e-1", "permission read_write"),
        (.environment, .read, "p-2", "e-1", "project p-2"),
        (.environment, .read, "p-1", "e-2", "environment e-2"),
    ])
    func mismatchedAnswers(scope: TokenScope, permission: TokenPermission, project: String, environment: String, named: String) {
        let problem = RotationExecutor.mismatch(token(scope: scope, permission: permission, project: project, environment: environment), request: request)
        #expect(problem?.contains(named) == true, "\(problem ?? "accepted")")
    }

    @Test("an org-wide request refuses an answer scoped to a project")
    func orgRequest() {
        var org = request
        org.scope = .org
        org.projectID = nil
        org.environmentID = nil
        #expect(RotationExecutor.mismatch(token(scope: .org, project: nil, environment: nil), request: org) == nil)
        #expect(RotationExecutor.mismatch(token(scope: .org, project: "p-1", environment: nil), request: org) != nil)
    }
}
