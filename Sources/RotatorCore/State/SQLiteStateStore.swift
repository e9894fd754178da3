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
                try StatePaths.checkReadable(directory)
                try Self.refuseSymlinks(path)
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
            try Self.refuseSymlinks(path)
            // Created 0600 before SQLite opens it, so it never exists with a wider mode; O_NOFOLLOW
            // because SQLite itself would follow a link (GRDB offers no SQLITE_OPEN_NOFOLLOW).
            let descriptor = open(path, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard descriptor >= 0 else { throw StateError(path: path, reason: String(cString: strerror(errno))) }
            fchmod(descriptor, 0o600)
            close(descriptor)
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

    /// The database and the files SQLite keeps beside it. The directory is checked to be writable
    /// by this user only, so nobody else can plant a link between this check and the open.
    private static func refuseSymlinks(_ path: String) throws(StateError) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            try StatePaths.refuseSymlink(path + suffix)
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
        // The Prometheus counters (`MetricsCounterStore`). `IF NOT EXISTS`: the first versions
        // created this table outside the migrator.
        migrator.registerMigration("v2-metric-counter") { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS metric_counter (
                    name TEXT NOT NULL,
                    label TEXT NOT NULL,
                    value INTEGER NOT NULL,
                    PRIMARY KEY (name, label)
                )
                """)
        }
        return migrator
    }

    public func rotation(_ id: String) throws(StateError) -> RotationRecord? {
        try read { db in try (Self.fetchAll(db, "SELECT * FROM rotation WHERE rotation_id = ?", [id]) as [RotationRecord]).first }
    }

    public func rotations() throws(StateError) -> [RotationRecord] {
        try read { db in try Self.fetchAll(db, "SELECT * FROM rotation ORDER BY rotation_id", []) }
    }

    public func save(_ record: RotationRecord) throws(StateError) {
        try write { db in try Self.upsert(record, db) }
    }

    public func managedTokens(rotation: String) throws(StateError) -> [ManagedToken] {
        try read { db in try Self.fetchAll(db, "SELECT * FROM managed_token WHERE rotation_id = ? ORDER BY created_at", [rotation]) }
    }

    public func save(_ token: ManagedToken) throws(StateError) {
        try write { db in try Self.upsert(token, db) }
    }

    public func targets(rotation: String) throws(StateError) -> [TargetRecord] {
        try read { db in try Self.fetchAll(db, "SELECT * FROM target WHERE rotation_id = ? ORDER BY label", [rotation]) }
    }

    public func save(_ target: TargetRecord) throws(StateError) {
        try write { db in try Self.upsert(target, db) }
    }

    public func commit(record: RotationRecord, tokens: [ManagedToken], targets: [TargetRecord]) throws(StateError) {
        try write { db in
            try db.inTransaction {
                try Self.upsert(record, db)
                for token in tokens { try Self.upsert(token, db) }
                for target in targets { try Self.upsert(target, db) }
                return .commit
            }
        }
    }

    public func saveDurably(targets: [TargetRecord], steps: [StepRecord]) throws(StateError) {
        try write { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            defer { try? db.execute(sql: "PRAGMA synchronous = NORMAL") }
            try db.inTransaction {
                for target in targets { try Self.upsert(target, db) }
                for step in steps { try Self.upsert(step, db) }
                return .commit
            }
        }
    }

    public func begin(_ run: RunRecord) throws(StateError) {
        try write { db in try Self.upsert(run, db) }
    }

    public func finish(runID: String, exitCode: Int, at: Date) throws(StateError) {
        try write { db in
            try db.cachedStatement(sql: "UPDATE run SET finished_at = ?, exit_code = ? WHERE run_id = ?")
                .execute(arguments: [Timestamp.database(at), exitCode, runID])
        }
    }

    public func append(_ step: StepRecord) throws(StateError) {
        try write { db in try Self.upsert(step, db) }
    }

    // MARK: Access
    //
    // Each call is one statement in SQLite's autocommit mode, or an explicit transaction when it
    // writes several rows: GRDB's `read` and `write` would wrap every statement in a transaction
    // and a `query_only` toggle, four statements for one.

    private static func fetchAll<Record: StateRow>(_ db: Database, _ sql: String, _ arguments: StatementArguments) throws -> [Record] {
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
        var records: [Record] = []
        while let row = try rows.next() { records.append(try Record(row: row)) }
        return records
    }

    private static func upsert<Record: StateRow>(_ record: Record, _ db: Database) throws {
        try db.cachedStatement(sql: Record.upsertSQL).execute(arguments: record.arguments)
    }

    private func read<T>(_ body: (Database) throws -> T) throws(StateError) -> T {
        do {
            return try database.inDatabase(body)
        } catch {
            throw StateError(path: path, reason: "\(error)")
        }
    }

    private func write(_ body: (Database) throws -> Void) throws(StateError) {
        do {
            try database.inDatabase(body)
        } catch {
            throw StateError(path: path, reason: "\(error)")
        }
    }
}
