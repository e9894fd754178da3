extension Duration {
    /// Whole milliseconds, for `duration_ms` in log lines and the journal.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
