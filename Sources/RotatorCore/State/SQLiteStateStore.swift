import Foundation
import GRDB

/// The state in SQLite (`state.sqlite` in the state directory, mode 0600), through GRDB.
/// Every write is its own transaction, so a crash leaves the last completed step recorded.
public final class SQLiteStateStore: StateStore {
    public static let fileName = "state.sqlite"

    private let database: DatabaseQueue
    public let path: String

    /// Opens (creating when needed) the state in `directory`.
    /// - Parameter readOnly: open an existing state without writing anything (`plan`, `status`).
    public init(directory: String, readOnly: Bool = false) throws(StateError) {
        path = directory + "/" + Self.fileName
        if readOnly {
            do {
                var configuration = Configuration()
                configuration.readonly = true
                database = try DatabaseQueue(path: path, configuration: configuration)
            } catch {
                throw StateError(path: path, reason: "\(error)")
            }
            return
        }
        do {
            try StatePaths.ensurePrivateDirectory(directory)
            if !FileManager.default.fileExists(atPath: path) {
                // Create it 0600 before SQLite does, so it never exists with a wider mode.
                let descriptor = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
                if descriptor >= 0 { close(descriptor) }
            }
            chmod(path, 0o600)
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            // WAL with synchronous=NORMAL: a commit survives the process being killed (SIGKILL)
            // without an fsync per step. The writes that must also survive a power loss — "this
            // target may hold the new token", before any value is sent — go through
            // `saveDurably`, which syncs (and so makes every earlier commit durable too).
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            database = try DatabaseQueue(path: path, configuration: configuration)
            try database.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
            }
            try Self.migrator.migrate(database)
        } catch let error as StateError {
            throw error
        } catch {
            throw StateError(path: path, reason: "\(error)")
        }
    }

    /// Opens an existing state read-only; nil when there is none yet (`plan` and `status` on a
    /// fresh machine create nothing).
    public static func openIfExists(directory: String) throws(StateError) -> SQLiteStateStore? {
        guard FileManager.default.fileExists(atPath: directory + "/" + fileName) else { return nil }
        return try SQLiteStateStore(directory: directory, readOnly: true)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "rotation") { table in
                table.column("rotation_id", .text).primaryKey()
                table.column("token_id", .text)
                table.column("token_name", .text)
                table.column("fingerprint", .text)
                table.column("expires_at", .datetime)
                table.column("serial", .integer).notNull()
                table.column("adopted", .boolean).notNull()
                table.column("last_result", .text)
                table.column("last_error", .text)
                table.column("last_run_at", .datetime)
                table.column("rotated_at", .datetime)
            }
            try db.create(table: "managed_token") { table in
                table.column("token_id", .text).primaryKey()
                table.column("rotation_id", .text).notNull().indexed()
                table.column("name", .text)
                table.column("fingerprint", .text)
                table.column("expires_at", .datetime)
                table.column("serial", .integer).notNull()
                table.column("run_id", .text).notNull()
                table.column("origin", .text).notNull()
                table.column("status", .text).notNull()
                table.column("created_at", .datetime).notNull()
                table.column("revoke_after", .datetime)
                table.column("revoked_at", .datetime)
            }
            try db.create(table: "target") { table in
                table.column("rotation_id", .text).notNull()
                table.column("identity", .text).notNull()
                table.column("label", .text).notNull()
                table.column("possible_token_ids", .text).notNull()
                table.column("verified_token_id", .text)
                table.column("provider_updated_at", .datetime)
                table.column("updated_at", .datetime).notNull()
                table.primaryKey(["rotation_id", "identity"])
            }
            try db.create(table: "run") { table in
                table.column("run_id", .text).primaryKey()
                table.column("command", .text).notNull()
                table.column("started_at", .datetime).notNull()
                table.column("finished_at", .datetime)
                table.column("exit_code", .integer)
                table.column("pid", .integer).notNull()
            }
            try db.create(table: "step") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("run_id", .text).notNull().indexed()
                table.column("rotation_id", .text).notNull()
                table.column("step", .text).notNull()
                table.column("target", .text)
                table.column("token_id", .text)
                table.column("outcome", .text).notNull()
                table.column("duration_ms", .integer)
                table.column("detail", .text)
                table.column("at", .datetime).notNull()
            }
        }
        return migrator
    }

    public func rotation(_ id: String) throws(StateError) -> RotationRecord? {
        try read { try RotationRecord.fetchOne($0, key: id) }
    }

    public func rotations() throws(StateError) -> [RotationRecord] {
        try read { try RotationRecord.order(Column("rotation_id")).fetchAll($0) }
    }

    public func save(_ record: RotationRecord) throws(StateError) {
        try write { try record.save($0) }
    }

    public func managedTokens(rotation: String) throws(StateError) -> [ManagedToken] {
        try read { try ManagedToken.filter(Column("rotation_id") == rotation).order(Column("created_at")).fetchAll($0) }
    }

    public func save(_ token: ManagedToken) throws(StateError) {
        try write { try token.save($0) }
    }

    public func targets(rotation: String) throws(StateError) -> [TargetRecord] {
        try read { try TargetRecord.filter(Column("rotation_id") == rotation).order(Column("label")).fetchAll($0) }
    }

    public func save(_ target: TargetRecord) throws(StateError) {
        try write { try target.save($0) }
    }

    public func commit(record: RotationRecord, tokens: [ManagedToken], targets: [TargetRecord]) throws(StateError) {
        try write { db in
            try record.save(db)
            for token in tokens { try token.save(db) }
            for target in targets { try target.save(db) }
        }
    }

    public func saveDurably(targets: [TargetRecord], steps: [StepRecord]) throws(StateError) {
        do {
            try database.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                defer { try? db.execute(sql: "PRAGMA synchronous = NORMAL") }
                try db.inTransaction {
                    for target in targets { try target.save(db) }
                    for var step in steps { try step.insert(db) }
                    return .commit
                }
            }
        } catch {
            throw StateError(path: path, reason: "\(error)")
        }
    }

    public func begin(_ run: RunRecord) throws(StateError) {
        try write { try run.insert($0) }
    }

    public func finish(runID: String, exitCode: Int, at: Date) throws(StateError) {
        try write { db in
            try db.execute(sql: "UPDATE run SET finished_at = ?, exit_code = ? WHERE run_id = ?", arguments: [at, exitCode, runID])
        }
    }

    public func append(_ step: StepRecord) throws(StateError) {
        try write { db in
            var step = step
            try step.insert(db)
        }
    }

    public func steps(runID: String) throws(StateError) -> [StepRecord] {
        try read { try StepRecord.filter(Column("run_id") == runID).order(Column("id")).fetchAll($0) }
    }

    private func read<T>(_ body: (Database) throws -> T) throws(StateError) -> T {
        do {
            return try database.read(body)
        } catch {
            throw StateError(path: path, reason: "\(error)")
        }
    }

    private func write(_ body: (Database) throws -> Void) throws(StateError) {
        do {
            try database.write(body)
        } catch {
            throw StateError(path: path, reason: "\(error)")
        }
    }
}
