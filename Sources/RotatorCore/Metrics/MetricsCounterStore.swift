import Foundation
import GRDB

/// The Prometheus counters (`…_total`), kept in the state database so they only ever grow across
/// runs, as counters must. Its own table (`metric_counter`, created by `SQLiteStateStore`'s
/// migrator); it holds names, labels and numbers only.
final class MetricsCounterStore {
    private let database: DatabaseQueue

    /// Opens the state database in `directory`, which the run already opened (and so migrated)
    /// through `SQLiteStateStore`.
    init(directory: String) throws(StateError) {
        let path = directory + "/" + SQLiteStateStore.fileName
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            database = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw StateError(path: path, reason: "\(error)")
        }
    }

    /// Adds `increments` (name → label value → amount) in one transaction and returns every counter.
    func add(_ increments: [String: [String: Int]]) throws(StateError) -> [String: [String: Int]] {
        do {
            return try database.write { db in
                for (name, labels) in increments {
                    for (label, amount) in labels {
                        try db.execute(
                            sql: "INSERT INTO metric_counter (name, label, value) VALUES (?, ?, ?) ON CONFLICT(name, label) DO UPDATE SET value = value + excluded.value",
                            arguments: [name, label, amount]
                        )
                    }
                }
                var all: [String: [String: Int]] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT name, label, value FROM metric_counter") {
                    let name: String = row["name"]
                    let label: String = row["label"]
                    all[name, default: [:]][label] = row["value"]
                }
                return all
            }
        } catch {
            throw StateError(path: database.path, reason: "\(error)")
        }
    }
}
