import Foundation
@testable import RotatorCore
import Testing

/// The planner's part in recovery: an interrupted attempt makes a rotation roll forward even when
/// its token is far from expiry, and the rotations of one run never ask for the same name.
@Suite("Rotation planner: recovery and uniqueness")
struct RotationPlannerSafetyTests {
    static let now = RotationPlannerTests.now

    @Test("Targets left holding another token than the current one make a not-due rotation roll forward")
    func unsettledTargetsRollForward() {
        let rotation = RotationPlannerTests.rotation()
        let record = RotationPlannerTests.record(tokenID: "cur", expiresIn: 20)
        let live = [RotationPlannerTests.token("cur", expiresIn: 20)]
        let planner = RotationPlanner(now: Self.now)
        #expect(!planner.decide(rotation, record: record, liveTokens: live).verdict.isDue)
        let decision = planner.decide(rotation, record: record, liveTokens: live, unsettledTargets: ["github:acme/api/ENVSHED_TOKEN"])
        #expect(decision.verdict.isDue)
        #expect(decision.verdict.reason.contains("github:acme/api/ENVSHED_TOKEN"))
        #expect(decision.verdict.reason.contains("rolling forward"))
        #expect(decision.nextDue == nil)
        #expect(decision.current?.id == "cur")
        #expect(decision.nextSerial == 4)
    }

    @Test("Rotations of one run with the same name template get different names, distinct from every live token's")
    func reservedNamesStayUnique() {
        let rotation = RotationPlannerTests.rotation(template: "CI token")
        let planner = RotationPlanner(now: Self.now)
        let live = [RotationPlannerTests.token("x", expiresIn: 20, name: "CI token")]
        var reserved: Set<String> = []
        var names: [String] = []
        for _ in 0..<3 {
            let decision = planner.decide(rotation, record: nil, liveTokens: live, reservedNames: reserved)
            names.append(decision.request.name)
            reserved.insert(decision.request.name)
        }
        #expect(names == ["CI token #2", "CI token #3", "CI token #4"])
    }

    @Test("The request asks for exactly the plan's scope, project, environment and permission")
    func requestMatchesThePlan() {
        let rotation = RotationPlannerTests.rotation()
        let request = RotationPlanner(now: Self.now).decide(rotation, record: nil, liveTokens: []).request
        #expect(request.scope == rotation.scope)
        #expect(request.projectID == rotation.project?.id)
        #expect(request.environmentID == rotation.environment?.id)
        #expect(request.permission == rotation.permission)
        #expect(request.expiresInDays == rotation.expiresInDays)
    }
}
