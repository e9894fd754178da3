import Foundation
@testable import RotatorCore
import Testing

@Suite("Rotation planner")
struct RotationPlannerTests {
    static let now = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18
    static let day: TimeInterval = 86_400

    static func rotation(adopt: Adoption? = nil, lead: Int = 7, expires: Int = 30, template: String = "{purpose} - {project}/{environment} (rotated {date})") -> Rotation {
        let plan = try? PlanLoader.parse(PlanFixtures.valid, file: "plan.yaml")
        var rotation = plan!.rotations[0]  // swift-format-ignore: NeverForceUnwrap — the fixture is valid (tested separately)
        rotation.adopt = adopt
        rotation.rotateBeforeDays = lead
        rotation.expiresInDays = expires
        rotation.nameTemplate = template
        return rotation
    }

    static func token(_ id: String, expiresIn days: Double?, name: String? = nil) -> ServiceToken {
        ServiceToken(id: id, name: name ?? "token \(id)", scope: .environment, permission: .read, expiresAt: days.map { now.addingTimeInterval($0 * day) })
    }

    static func record(tokenID: String, expiresIn days: Double?, serial: Int = 3) -> RotationRecord {
        RotationRecord(
            rotationID: "api-production-ci", tokenID: tokenID, tokenName: "current", fingerprint: "1a2b3c4d",
            expiresAt: days.map { now.addingTimeInterval($0 * day) }, serial: serial, adopted: false,
            lastResult: .rotated, lastError: nil, lastRunAt: nil, rotatedAt: nil
        )
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let adopt: Adoption?
        let record: RotationRecord?
        let live: [ServiceToken]
        let force: Bool
        let due: Bool
        let reason: String
        let currentID: String?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "no record and nothing to adopt: due", adopt: nil, record: nil, live: [], force: false,
             due: true, reason: "no token yet", currentID: nil),
        Case(name: "adopted token inside the lead time: due", adopt: Adoption(tokenID: "old", expiresAt: nil), record: nil,
             live: [token("old", expiresIn: 3)], force: false, due: true, reason: "within the 7-day lead time", currentID: "old"),
        Case(name: "adopted token far from expiry: not due", adopt: Adoption(tokenID: "old", expiresAt: nil), record: nil,
             live: [token("old", expiresIn: 40)], force: false, due: false, reason: "due in 33d", currentID: "old"),
        Case(name: "the plan's adopt expiry wins over the list's", adopt: Adoption(tokenID: "old", expiresAt: now.addingTimeInterval(2 * day)), record: nil,
             live: [token("old", expiresIn: 40)], force: false, due: true, reason: "within the 7-day lead time", currentID: "old"),
        Case(name: "adopted token missing from Envshed: due, nothing to revoke", adopt: Adoption(tokenID: "gone", expiresAt: nil), record: nil,
             live: [], force: false, due: true, reason: "is not live in Envshed", currentID: nil),
        Case(name: "adopted token that never expires: due", adopt: Adoption(tokenID: "old", expiresAt: nil), record: nil,
             live: [token("old", expiresIn: nil)], force: false, due: true, reason: "never expires", currentID: "old"),
        Case(name: "recorded token outside the lead time: not due", adopt: nil, record: record(tokenID: "cur", expiresIn: 20),
             live: [token("cur", expiresIn: 20)], force: false, due: false, reason: "due in 13d", currentID: "cur"),
        Case(name: "recorded token exactly at the lead time: due", adopt: nil, record: record(tokenID: "cur", expiresIn: 7),
             live: [token("cur", expiresIn: 7)], force: false, due: true, reason: "within the 7-day lead time", currentID: "cur"),
        Case(name: "recorded token revoked behind our back: due", adopt: nil, record: record(tokenID: "cur", expiresIn: 20),
             live: [], force: false, due: true, reason: "no longer live", currentID: "cur"),
        Case(name: "the state wins over adopt once a rotation happened", adopt: Adoption(tokenID: "old", expiresAt: nil), record: record(tokenID: "cur", expiresIn: 25),
             live: [token("old", expiresIn: 1), token("cur", expiresIn: 25)], force: false, due: false, reason: "due in 18d", currentID: "cur"),
        Case(name: "forced: due regardless", adopt: nil, record: record(tokenID: "cur", expiresIn: 25),
             live: [token("cur", expiresIn: 25)], force: true, due: true, reason: "forced", currentID: "cur"),
    ]

    @Test("due, not due, adopt", arguments: cases)
    func decide(_ testCase: Case) {
        let decision = RotationPlanner(now: Self.now).decide(
            Self.rotation(adopt: testCase.adopt), record: testCase.record, liveTokens: testCase.live, force: testCase.force
        )
        #expect(decision.verdict.isDue == testCase.due, "\(decision.verdict)")
        #expect(decision.verdict.reason.contains(testCase.reason), "\(decision.verdict.reason)")
        #expect(decision.current?.id == testCase.currentID)
    }

    @Test("the new token keeps scope and permission, gets the next serial and a fresh expiry")
    func request() {
        let decision = RotationPlanner(now: Self.now).decide(
            Self.rotation(), record: Self.record(tokenID: "cur", expiresIn: 2, serial: 4), liveTokens: [Self.token("cur", expiresIn: 2)]
        )
        #expect(decision.nextSerial == 5)
        #expect(decision.request.scope == .environment)
        #expect(decision.request.permission == .read)
        #expect(decision.request.projectID == "3f1c2b7e-0000-4000-8000-000000000001")
        #expect(decision.request.environmentID == "9ab20000-0000-4000-8000-000000000002")
        #expect(decision.request.expiresInDays == 30)
        #expect(decision.request.name == "GitHub Actions deploy - api/production (rotated 2026-11-18)")
    }

    @Test("names are unique among live tokens and at most 100 characters")
    func uniqueNames() {
        let rotation = Self.rotation(template: String(repeating: "x", count: 120) + " {serial}")
        let first = TokenNamer.render(rotation, serial: 1, date: Self.now, taken: [])
        #expect(first.count == 100)
        let second = TokenNamer.render(rotation, serial: 1, date: Self.now, taken: [first])
        #expect(second.count == 100)
        #expect(second.hasSuffix(" #2"))
        #expect(second != first)
        let plain = Self.rotation()
        let taken = "GitHub Actions deploy - api/production (rotated 2026-11-18)"
        #expect(TokenNamer.render(plain, serial: 1, date: Self.now, taken: [taken]) == taken + " #2")
    }

    @Test("name placeholders are replaced in one pass: a value is never read as a placeholder")
    func namePlaceholders() {
        let values = ["id": "api", "purpose": "deploy {id}", "serial": "7"]
        #expect(TokenNamer.substitute("{id} {purpose} #{serial}", values) == "api deploy {id} #7")
        #expect(TokenNamer.substitute("{unknown} {id}{", values) == "{unknown} api{")
        #expect(TokenNamer.substitute("plain", values) == "plain")
    }

}
