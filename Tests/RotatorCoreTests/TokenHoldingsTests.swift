import Foundation
@testable import RotatorCore
import Testing

/// `TokenHoldings` is where SPEC I1 is decided: a token any declared target may hold is never
/// revocable. These cases pin the rule down without a network or a database.
@Suite("Token holdings")
struct TokenHoldingsTests {
    /// The fixture's first rotation: two GitHub targets of acme/api.
    static let rotation: Rotation = {
        let plan = try? PlanLoader.parse(PlanFixtures.valid, file: "plan.yaml")
        return plan!.rotations[0]  // swift-format-ignore: NeverForceUnwrap — the fixture is valid (tested separately)
    }()

    static func record(_ target: Target, holds tokens: [String]) -> TargetRecord {
        TargetRecord(
            rotationID: rotation.id, identity: target.identity, label: target.label, possibleTokenIDs: tokens, verifiedTokenID: nil,
            providerUpdatedAt: nil, updatedAt: Date()
        )
    }

    @Test("A target with no record holds the current token, so the current token is never revocable")
    func unrecordedTargetHoldsCurrent() {
        let holdings = TokenHoldings(rotation: Self.rotation, records: [], currentTokenID: "current")
        #expect(holdings.mayBeHeld("current"))
        #expect(!holdings.mayBeHeld("other"))
        #expect(holdings.byTarget.count == Self.rotation.targets.count)
        #expect(holdings.unsettledTargets(currentTokenID: "current").isEmpty)
    }

    @Test("Every token a record says a target may hold is held, whichever target says it")
    func recordedTokensAreHeld() {
        let (first, second) = (Self.rotation.targets[0], Self.rotation.targets[1])
        let holdings = TokenHoldings(
            rotation: Self.rotation, records: [Self.record(first, holds: ["old", "new"]), Self.record(second, holds: ["new"])],
            currentTokenID: "old"
        )
        #expect(holdings.held == ["old", "new"])
        #expect(holdings.mayBeHeld("old"))
        #expect(holdings.mayBeHeld("new"))
        #expect(!holdings.mayBeHeld("leftover"))
        // Both targets may hold something other than exactly the current token: roll forward.
        #expect(holdings.unsettledTargets(currentTokenID: "old") == [first.label, second.label].sorted())
    }

    @Test("A record of a target no longer in the plan (removed, or renamed) still holds its tokens and makes the rotation roll forward; an empty one holds nothing")
    func undeclaredRecordsStillHold() {
        let stray = TargetRecord(
            rotationID: Self.rotation.id, identity: "github:acme/removed/ENVSHED_TOKEN", label: "github:acme/removed/ENVSHED_TOKEN",
            possibleTokenIDs: ["stray"], verifiedTokenID: nil, providerUpdatedAt: nil, updatedAt: Date()
        )
        let holdings = TokenHoldings(rotation: Self.rotation, records: [stray], currentTokenID: "current")
        #expect(holdings.mayBeHeld("stray"))
        #expect(holdings.held == ["current", "stray"])
        #expect(holdings.unsettledTargets(currentTokenID: "current") == ["github:acme/removed/ENVSHED_TOKEN (no longer in the plan)"])
        var released = stray
        released.possibleTokenIDs = []
        let after = TokenHoldings(rotation: Self.rotation, records: [released], currentTokenID: "current")
        #expect(after.held == ["current"] && after.unsettledTargets(currentTokenID: "current").isEmpty)
    }

    @Test("Without a current token, a target that may hold anything is unsettled")
    func noCurrentToken() {
        let empty = TokenHoldings(rotation: Self.rotation, records: [], currentTokenID: nil)
        #expect(empty.held.isEmpty)
        #expect(empty.unsettledTargets(currentTokenID: nil).isEmpty)
        let target = Self.rotation.targets[0]
        let partial = TokenHoldings(rotation: Self.rotation, records: [Self.record(target, holds: ["landed"])], currentTokenID: nil)
        #expect(partial.mayBeHeld("landed"))
        #expect(partial.unsettledTargets(currentTokenID: nil) == [target.label])
    }
}
