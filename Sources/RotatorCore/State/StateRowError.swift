/// A value in the state that this version cannot read: the state was edited or written by
/// something else.
struct StateRowError: Error, CustomStringConvertible {
    let column: String
    let value: String

    var description: String { "cannot read \(column) = \(value.prefix(80)): the state file was edited or written by another program" }
}
