import Foundation

/// The bot's memory between runs: ids, names, fingerprints and step records — never a token
/// value. A protocol so that a shared store (PostgreSQL, for several replicas) can come later.
public protocol StateStore: Sendable {
    func rotation(_ id: String) throws(StateError) -> RotationRecord?
    func rotations() throws(StateError) -> [RotationRecord]
    func save(_ record: RotationRecord) throws(StateError)

    func managedTokens(rotation: String) throws(StateError) -> [ManagedToken]
    func save(_ token: ManagedToken) throws(StateError)

    func targets(rotation: String) throws(StateError) -> [TargetRecord]
    func save(_ target: TargetRecord) throws(StateError)

    /// Saves the rotation's record, tokens and targets in one transaction: a promotion is all or nothing.
    func commit(record: RotationRecord, tokens: [ManagedToken], targets: [TargetRecord]) throws(StateError)

    /// Saves target records and step records in one transaction flushed to disk before it returns:
    /// the "may hold" journal entries that must survive anything before a value is sent.
    func saveDurably(targets: [TargetRecord], steps: [StepRecord]) throws(StateError)

    func begin(_ run: RunRecord) throws(StateError)
    func finish(runID: String, exitCode: Int, at: Date) throws(StateError)
    func append(_ step: StepRecord) throws(StateError)
}

public struct StateError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String

    public var description: String { "state database \(path): \(reason)" }
}
