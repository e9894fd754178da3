import Foundation
import Logging

/// Two GitLab targets that name one variable in different spellings — a project as `1234` in one
/// place and as `acme/api` in another — would overwrite each other. `validate` compares paths
/// offline but cannot map an id to a path, so a run asks GitLab (`GET /projects/:id`,
/// `GET /groups/:id`, which accept either form and answer the numeric `id`) before its first
/// GitLab write, and only for targets that need it: a numeric owner next to another target with
/// the same key and scope. One instance per run, shared by every GitLab target through
/// `GitLabClient`: the first write asks, every write waits for the same verdict, and with a
/// collision no GitLab variable is written at all.
public actor GitLabTargetCollisions {
    private let targets: [Target]
    private var verdict: Task<TargetError?, Never>?

    /// - Parameter targets: every target of the plan (not only the rotations selected), since a
    ///   rotation left out of this run still writes its variable on other runs.
    public init(_ targets: [Target]) {
        self.targets = targets
    }

    /// Throws the collision, if any, to every GitLab write of the run.
    func ensureNone(client: GitLabClient, logger: Logger) async throws(TargetError) {
        let pending = verdict ?? Task { [targets] () async -> TargetError? in
            do throws(TargetError) {
                try await Self.check(targets, client: client, logger: logger)
                return nil
            } catch {
                return error
            }
        }
        verdict = pending
        if let collision = await pending.value { throw collision }
    }

    /// - Throws: `TargetError` naming both targets when two resolve to one owner id, key and
    ///   scope, or when an owner cannot be resolved (a collision cannot then be ruled out).
    public static func check(_ targets: [Target], client: GitLabClient, logger: Logger) async throws(TargetError) {
        let variables = targets.compactMap { target -> (target: Target, variable: GitLabVariable)? in
            guard case .gitlabVariable(let variable) = target.kind else { return nil }
            return (target, variable)
        }
        let bySlot = Dictionary(grouping: variables) { Slot(ownerKind: $0.variable.ownerKind, key: $0.variable.key, scope: $0.variable.environmentScope) }
        var resolved: [String: Int] = [:]
        for (slot, sharing) in bySlot.sorted(by: { $0.key.description < $1.key.description }) where sharing.count > 1 && sharing.contains(where: { $0.variable.isNumeric }) {
            var first: [Int: Target] = [:]
            for (target, variable) in sharing {
                let reference = "\(slot.ownerKind)s/\(variable.ownerReference.lowercased())"
                let id: Int
                if let known = resolved[reference] {
                    id = known
                } else {
                    id = try await resolve(variable, target: target, client: client, logger: logger)
                    resolved[reference] = id
                }
                if let earlier = first[id] {
                    throw TargetError(
                        provider: .gitlab, target: target.label, operation: "resolve \(slot.ownerKind)",
                        message: "names the same variable as \(earlier.label) (\(slot.ownerKind) id \(id)); two writers of one variable would overwrite each other",
                        hint: "spell the \(slot.ownerKind) the same way in both targets of the plan, or remove one; nothing was written"
                    )
                }
                first[id] = target
            }
        }
    }

    private static func resolve(_ variable: GitLabVariable, target: Target, client: GitLabClient, logger: Logger) async throws(TargetError) -> Int {
        let operation = "resolve \(variable.ownerKind)"
        let response = try await client.send(
            "GET", "/\(variable.ownerKind)s/\(URLJoin.segment(variable.ownerReference))", target: target, operation: operation, logger: logger
        )
        guard response.status == 200 else { throw client.failure(response, target: target, variable: variable, operation: operation) }
        guard let id = response.jsonObject()?["id"] as? Int else {
            throw TargetError(provider: .gitlab, target: target.label, operation: operation, status: 200, message: "the answer has no numeric id")
        }
        return id
    }

    /// Targets that may collide: same kind of owner, variable key and environment scope.
    private struct Slot: Hashable, CustomStringConvertible {
        var ownerKind: String
        var key: String
        var scope: String
        var description: String { "\(ownerKind)|\(key)|\(scope)" }
    }
}
