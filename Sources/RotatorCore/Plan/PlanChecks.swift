import Yams

/// Checks that need the whole plan: duplicate ids, two rotations adopting one token or writing
/// one secret, anything token-shaped pasted anywhere, and the policy warnings of Envshed's best
/// practices and of provider limits.
enum PlanChecks {
    static func crossRotation(_ plan: Plan, reader: inout YAMLReader) {
        var firstID: [String: SourceLocation] = [:]
        var firstAdoption: [String: (rotation: String, location: SourceLocation)] = [:]
        var firstTarget: [String: (rotation: String, label: String, location: SourceLocation)] = [:]
        for rotation in plan.rotations {
            if let first = firstID[rotation.id] {
                reader.error(at: rotation.location, "rotation '\(rotation.id)': duplicate id; first defined at line \(first.line)")
            } else {
                firstID[rotation.id] = rotation.location
            }
            if let adopt = rotation.adopt {
                // Token ids are UUIDs, which Envshed may print in either case.
                let location = adopt.location ?? rotation.location
                if let first = firstAdoption[adopt.tokenID.lowercased()] {
                    reader.error(
                        at: location,
                        "rotation '\(rotation.id)': adopt.token_id \(adopt.tokenID) is already adopted by rotation '\(first.rotation)' (line \(first.location.line)); the first of them to rotate would revoke the token the other still distributes: adopt each token in one rotation only"
                    )
                } else {
                    firstAdoption[adopt.tokenID.lowercased()] = (rotation.id, location)
                }
            }
            for target in rotation.targets {
                let key = target.writeKey
                if let first = firstTarget[key] {
                    let owner = first.rotation == rotation.id ? "this rotation" : "rotation '\(first.rotation)'"
                    let spelled = first.label == target.label ? "" : " as \(first.label)"
                    reader.error(
                        at: target.location,
                        "rotation '\(rotation.id)': target \(target.label) is already written by \(owner)\(spelled) (line \(first.location.line)); two writers of one secret would overwrite each other"
                    )
                } else {
                    firstTarget[key] = (rotation.id, target.label, target.location)
                }
            }
        }
    }

    static func policy(_ plan: Plan, reader: inout YAMLReader) {
        for rotation in plan.rotations {
            let label = "rotation '\(rotation.id)'"
            if rotation.scope == .org {
                reader.warning(at: rotation.location, "\(label): org scope reads every project; Envshed recommends the narrowest scope (environment)")
            }
            if rotation.permission == .readWrite {
                reader.warning(at: rotation.location, "\(label): read_write permission; CI pipelines that only pull need read")
            }
            if rotation.expiresInDays > 90 {
                reader.warning(at: rotation.location, "\(label): expires_in_days \(rotation.expiresInDays) is over the recommended 90 days")
            }
            for target in rotation.targets {
                guard case .gitlabVariable(let variable) = target.kind, case .group = variable.owner, variable.environmentScope != "*" else { continue }
                // https://docs.gitlab.com/api/group_level_variables/: `environment_scope` and
                // `filter` of group variables are Premium and Ultimate only.
                reader.warning(
                    at: target.location,
                    "\(label): target \(target.label): GitLab honours environment_scope on group variables on Premium and Ultimate only; on Free every environment gets this variable, and the read-back fails the rotation when the scope was not kept"
                )
            }
        }
    }

    /// Most values a plan may expand to. YAML aliases can make a small file expand exponentially
    /// ("billion laughs"); a real plan of thousands of rotations stays far below this.
    static let maximumNodes = 2_000_000

    /// Counts the values the plan expands to, aliases followed; nil when over `maximumNodes`.
    static func expandedSize(of node: Node) -> Int? {
        var count = 0
        var stack = [node]
        while let next = stack.popLast() {
            count += 1
            if count > maximumNodes { return nil }
            switch next {
            case .mapping(let mapping):
                for (key, value) in mapping {
                    stack.append(key)
                    stack.append(value)
                }
            case .sequence(let sequence):
                stack.append(contentsOf: sequence)
            case .scalar, .alias:
                break
            }
        }
        return count
    }

    /// A credential pasted into any field (a name, an id, a comment-like value) is refused: the
    /// plan lives in git.
    /// - Parameter sharesNodes: the plan has aliases (so nodes repeat); false skips the
    ///   bookkeeping that reads each repeated node once.
    static func literalSecrets(in node: Node, sharesNodes: Bool = true, reader: inout YAMLReader) {
        var stack = [node]
        // An alias repeats its anchor's node, with the anchor's position: each mapping and list is
        // read once, or a few hundred bytes of aliases would cost seconds per million copies.
        struct Position: Hashable { var mapping: Bool, line: Int, column: Int }
        var read = Set<Position>()
        while let next = stack.popLast() {
            let isMapping: Bool? = switch next { case .mapping: true; case .sequence: false; case .scalar, .alias: nil }
            if sharesNodes, let isMapping, let mark = next.mark, !read.insert(Position(mapping: isMapping, line: mark.line, column: mark.column)).inserted {
                continue
            }
            switch next {
            case .scalar(let scalar):
                if Redactor.scrub(scalar.string) != scalar.string {
                    reader.error(next, "this value looks like a literal secret; the plan lives in git, so reference credentials with env:NAME, file:/path or systemd:NAME")
                }
            case .mapping(let mapping):
                for (key, value) in mapping {
                    stack.append(value)
                    stack.append(key)
                }
            case .sequence(let sequence):
                stack.append(contentsOf: sequence.reversed())
            case .alias:
                break
            }
        }
    }
}
