import Yams

/// Reads typed values out of a composed YAML tree and records a located diagnostic for every
/// problem instead of stopping at the first, so `validate` reports them all at once.
struct YAMLReader {
    let file: String
    private(set) var diagnostics: [PlanDiagnostic] = []

    init(file: String) {
        self.file = file
    }

    func location(of node: Node) -> SourceLocation {
        SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    mutating func error(_ node: Node, _ message: String) {
        diagnostics.append(PlanDiagnostic(.error, at: location(of: node), message))
    }

    mutating func error(at location: SourceLocation, _ message: String) {
        diagnostics.append(PlanDiagnostic(.error, at: location, message))
    }

    mutating func warning(at location: SourceLocation, _ message: String) {
        diagnostics.append(PlanDiagnostic(.warning, at: location, message))
    }

    /// The node as a mapping whose keys are all in `allowed`; unknown keys are reported with a
    /// suggestion. Returns key → (key node, value node).
    /// - Parameter extensions: keys starting with `x-` are skipped, not refused: they hold the
    ///   anchors that merge keys refer to (as in Compose files), and are read only where merged.
    mutating func mapping(_ node: Node, path: String, allowed: [String], extensions: Bool = false) -> Fields? {
        guard case .mapping(let mapping) = node else {
            error(node, "\(path): expected a mapping (key: value), got \(describe(node))")
            return nil
        }
        var fields = Fields(owner: node, path: path)
        // YAML merge keys (`<<: *base`, `<<: [*a, *b]`): the mapping's own keys first, then the
        // merged ones in order; the first spelling of a key wins, so an explicit key overrides a
        // merged one and an earlier merged mapping overrides a later one. Merged nodes are the
        // anchor's own nodes (Yams resolves aliases while composing), so a diagnostic about a
        // merged key or value points at the anchor's text.
        for (keyNode, valueNode) in pairs(of: mapping, path: path) {
            guard case .scalar(let key) = keyNode else {
                error(keyNode, "\(path): keys must be plain words")
                continue
            }
            if fields.values[key.string] != nil { continue }
            if extensions, key.string.hasPrefix("x-") { continue }
            if allowed.contains(key.string) {
                fields.values[key.string] = (keyNode, valueNode)
            } else {
                var message = "\(path): unknown key '\(key.string)'"
                if let suggestion = KeySuggester.suggestion(for: key.string, among: allowed) {
                    message += "; did you mean '\(suggestion)'?"
                } else {
                    message += "; allowed here: \(allowed.joined(separator: ", "))"
                }
                error(keyNode, message)
            }
        }
        return fields
    }

    /// A mapping's pairs with its merge keys expanded, in the order that decides which spelling
    /// of a key wins: the mapping's own keys, then each merged mapping's (itself expanded), in the
    /// order the merge lists them.
    private mutating func pairs(of mapping: Node.Mapping, path: String) -> [(key: Node, value: Node)] {
        var own: [(key: Node, value: Node)] = []
        var merged: [(key: Node, value: Node)] = []
        for (keyNode, valueNode) in mapping {
            // Only a plain `<<` is a merge key; a quoted "<<" is an ordinary (and unknown) key.
            guard case .scalar(let key) = keyNode, key.string == "<<", key.style == .plain else {
                own.append((keyNode, valueNode))
                continue
            }
            switch valueNode {
            case .mapping(let source):
                merged += pairs(of: source, path: path)
            case .sequence(let sources):
                for source in sources {
                    guard case .mapping(let sourceMapping) = source else {
                        error(source, "\(path): a merge key (<<) lists mappings (<<: [*a, *b]), got \(describe(source))")
                        continue
                    }
                    merged += pairs(of: sourceMapping, path: path)
                }
            default:
                error(valueNode, "\(path): a merge key (<<) takes a mapping (<<: *base) or a list of mappings (<<: [*a, *b]), got \(describe(valueNode))")
            }
        }
        return own + merged
    }

    mutating func sequence(_ node: Node, path: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            error(node, "\(path): expected a list, got \(describe(node))")
            return nil
        }
        return Array(sequence)
    }

    mutating func string(_ fields: Fields, _ key: String, required: Bool = false) -> String? {
        guard let (_, node) = fields.values[key] else {
            if required { error(fields.owner, "\(fields.path): missing required key '\(key)'") }
            return nil
        }
        guard case .scalar(let scalar) = node, scalar.style != .plain || !isNull(scalar) else {
            error(node, "\(fields.path).\(key): expected a string, got \(describe(node))")
            return nil
        }
        if scalar.string.isEmpty {
            error(node, "\(fields.path).\(key): must not be empty")
            return nil
        }
        return scalar.string
    }

    mutating func int(_ fields: Fields, _ key: String, required: Bool = false) -> Int? {
        guard let (_, node) = fields.values[key] else {
            if required { error(fields.owner, "\(fields.path): missing required key '\(key)'") }
            return nil
        }
        guard case .scalar(let scalar) = node, scalar.style == .plain, let value = Int(scalar.string) else {
            error(node, "\(fields.path).\(key): expected a whole number, got \(describe(node))")
            return nil
        }
        return value
    }

    mutating func bool(_ fields: Fields, _ key: String) -> Bool? {
        guard let (_, node) = fields.values[key] else { return nil }
        guard case .scalar(let scalar) = node, scalar.style == .plain,
              let value = ["true": true, "false": false][scalar.string.lowercased()]
        else {
            error(node, "\(fields.path).\(key): expected true or false, got \(describe(node))")
            return nil
        }
        return value
    }

    mutating func stringList(_ fields: Fields, _ key: String) -> [String]? {
        guard let (_, node) = fields.values[key] else { return nil }
        guard let items = sequence(node, path: "\(fields.path).\(key)") else { return nil }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard case .scalar(let scalar) = item, !scalar.string.isEmpty else {
                error(item, "\(fields.path).\(key)[\(index)]: expected a string, got \(describe(item))")
                continue
            }
            result.append(scalar.string)
        }
        return result
    }

    private func isNull(_ scalar: Node.Scalar) -> Bool {
        ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain && isNull(scalar) { return "nothing (null)" }
            let text = scalar.string.count > 40 ? String(scalar.string.prefix(40)) + "…" : scalar.string
            return "'\(Redactor.scrub(text))'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }
}

/// The keys of one mapping, with their nodes, and where the mapping itself is.
struct Fields {
    let owner: Node
    let path: String
    var values: [String: (key: Node, value: Node)] = [:]

    func has(_ key: String) -> Bool { values[key] != nil }
    func node(_ key: String) -> Node? { values[key]?.value }
}
