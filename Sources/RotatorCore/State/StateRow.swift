import GRDB

/// A record stored as one row of one table of the state, mapped by hand: `SQLiteStateStore`
/// writes `arguments` into `columns` with one cached statement and reads rows back with
/// `init(row:)`. Written out rather than derived through `Codable`, because every step of every
/// rotation writes a row and the derived mapping cost more CPU than the rotation's HTTP (measured
/// with `scripts/bench`).
///
/// Dates are stored as `Timestamp.database` text, the format GRDB reads back as `Date`.
protocol StateRow {
    static var table: String { get }
    /// The columns `arguments` fills, in its order.
    static var columns: [String] { get }
    var arguments: StatementArguments { get }
    init(row: Row) throws
}

extension StateRow {
    /// `INSERT OR REPLACE` of every column: a row is always written whole.
    static var upsertSQL: String {
        "INSERT OR REPLACE INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
    }
}
