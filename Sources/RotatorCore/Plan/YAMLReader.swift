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
    mutating func mapping(_ node: Node, path: String, allowed: [String]) -> Fields? {
        guard case .mapping(let mapping) = node else {
            error(node, "\(path): expected a mapping (key: value), got \(describe(node))")
            return nil
        }
        var fields = Fields(owner: node, path: path)
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let key) = keyNode else {
                error(keyNode, "\(path): keys must be plain words")
                continue
            }
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
