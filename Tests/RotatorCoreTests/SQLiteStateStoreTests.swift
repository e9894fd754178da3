import Foundation
import GRDB
@testable import RotatorCore
import Testing

/// The state store against a real SQLite file: round trips, all-or-nothing transactions, and
/// what `saveDurably` promises (committed and visible to another connection when it returns).
@Suite("SQLite state store")
struct SQLiteStateStoreTests {
    static let at = Date(timeIntervalSince1970: 1_795_000_000)

    static func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rotator-state-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static let record = RotationRecord(
        rotationID: "api", tokenID: "t2", tokenName: "API #2", fingerprint: "1a2b3c4d", expiresAt: at.addingTimeInterval(86_400),
        serial: 2, adopted: false, lastResult: .rotated, lastError: nil, lastRunAt: at, rotatedAt: at
    )
    static let token = ManagedToken(
        tokenID: "t1", rotationID: "api", origin: .created, name: "API #1", fingerprint: "9f8e7d6c", expiresAt: at, serial: 1,
        runID: "run1", status: .superseded, createdAt: at, revokeAfter: at.addingTimeInterval(600)
    )
    static func target(_ identity: String, holds tokens: [String]) -> TargetRecord {
        TargetRecord(
            rotationID: "api", identity: identity, label: identity, possibleTokenIDs: tokens, verifiedTokenID: tokens.last,
            providerUpdatedAt: at, updatedAt: at
        )
    }

    /// Makes every insert of a target row with `identity` fail, as a full disk or a constraint would.
    static func failInserts(of identity: String, in directory: String) throws {
        let database = try DatabaseQueue(path: directory + "/" + SQLiteStateStore.fileName)
        try database.write { db in
            try db.execute(sql: """
                CREATE TRIGGER fail_\(identity) BEFORE INSERT ON target WHEN NEW.identity = '\(identity)'
                BEGIN SELECT RAISE(ABORT, 'injected failure'); END
                """)
        }
        try database.close()
    }

    @Test("Rotation, token and target records read back as saved, from a second instance too")
    func roundTrips() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStateStore(directory: directory)
        try store.save(Self.record)
        try store.save(Self.token)
        try store.save(Self.target("github:acme/api/T", holds: ["t1", "t2"]))

        let reopened = try SQLiteStateStore(directory: directory)
        #expect(try reopened.rotation("api") == Self.record)
        #expect(try reopened.rotations() == [Self.record])
        let tokens = try reopened.managedTokens(rotation: "api")
        #expect(tokens.count == 1)
        #expect(tokens.first?.revokeAfter == Self.token.revokeAfter)
        #expect(tokens.first?.status == .superseded)
        #expect(try reopened.targets(rotation: "api") == [Self.target("github:acme/api/T", holds: ["t1", "t2"])])
        #expect(try reopened.rotation("other") == nil)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/" + SQLiteStateStore.fileName)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    @Test("Saving a record again replaces it: a target's possible tokens narrow down")
    func upsertReplaces() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStateStore(directory: directory)
        try store.save(Self.target("k", holds: ["old", "new"]))
        try store.save(Self.target("k", holds: ["new"]))
        #expect(try store.targets(rotation: "api").map(\.possibleTokenIDs) == [["new"]])
    }

    @Test("commit is all or nothing: one failing row leaves the record, the tokens and the other targets unsaved")
    func commitIsAtomic() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStateStore(directory: directory)
        try Self.failInserts(of: "boom", in: directory)
        #expect(throws: StateError.self) {
            try store.commit(record: Self.record, tokens: [Self.token], targets: [Self.target("fine", holds: ["t2"]), Self.target("boom", holds: ["t2"])])
        }
        #expect(try store.rotation("api") == nil)
        #expect(try store.managedTokens(rotation: "api").isEmpty)
        #expect(try store.targets(rotation: "api").isEmpty)

        try store.commit(record: Self.record, tokens: [Self.token], targets: [Self.target("fine", holds: ["t2"])])
        #expect(try store.rotation("api") == Self.record)
        #expect(try store.targets(rotation: "api").count == 1)
    }

    @Test("saveDurably: committed and visible to another connection when it returns; all or nothing")
    func saveDurably() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStateStore(directory: directory)
        let step = StepRecord(runID: "run1", rotationID: "api", step: .push, target: "a", tokenID: "t2", outcome: .started, at: Self.at)
        try store.saveDurably(targets: [Self.target("a", holds: ["t1", "t2"]), Self.target("b", holds: ["t1", "t2"])], steps: [step])

        // Another connection, as the next run (or a process reading after a crash) would open it.
        let other = try DatabaseQueue(path: directory + "/" + SQLiteStateStore.fileName)
        let (targets, steps) = try other.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM target") ?? 0, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM step") ?? 0)
        }
        #expect(targets == 2)
        #expect(steps == 1)
        // The connection is back to synchronous = NORMAL for the ordinary writes.
        try store.save(Self.record)
        try other.close()

        try Self.failInserts(of: "boom", in: directory)
        #expect(throws: StateError.self) {
            try store.saveDurably(targets: [Self.target("c", holds: ["t3"]), Self.target("boom", holds: ["t3"])], steps: [step])
        }
        #expect(try store.targets(rotation: "api").map(\.identity) == ["a", "b"])
    }

    @Test("A state that cannot be opened says which file and why")
    func unusableState() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: directory + "/" + SQLiteStateStore.fileName))
        #expect {
            _ = try SQLiteStateStore(directory: directory)
        } throws: { error in
            "\(error)".contains(directory + "/" + SQLiteStateStore.fileName)
        }
    }
}
