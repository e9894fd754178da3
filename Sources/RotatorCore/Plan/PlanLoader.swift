import Foundation
import Yams

/// Reads and validates a plan file, offline. All problems are collected and thrown together.
public enum PlanLoader {
    /// - Parameters:
    ///   - path: the plan file.
    ///   - strict: policy warnings become errors (`validate --strict`).
    /// - Throws: `PlanError` with every problem, each as `file:line:col: message`.
    /// Larger than any real plan (5,000 rotations are under 2 MiB); refusing early bounds memory.
    public static let maximumSize = 32 << 20

    public static func load(path: String, strict: Bool = false) throws(PlanError) -> Plan {
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > maximumSize {
            throw PlanError.unreadable(path: path, reason: "the file is \(size >> 20) MiB; a plan may be at most \(maximumSize >> 20) MiB")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"
            throw PlanError.unreadable(path: path, reason: reason)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PlanError.unreadable(path: path, reason: "the file is not UTF-8 text")
        }
        return try parse(text, file: path, strict: strict)
    }

    public static func parse(_ text: String, file: String, strict: Bool = false) throws(PlanError) -> Plan {
        // Aliases need anchors: a plan without `&` has none, so it cannot expand beyond its own
        // (size-bounded) text, and no node is shared. That is almost every plan; skip the walks.
        let mayHaveAliases = text.utf8.contains(UInt8(ascii: "&"))
        if mayHaveAliases, let position = AliasKeyScanner.firstAliasKey(in: text) {
            throw PlanError.invalid(diagnostics: [PlanDiagnostic(
                .error, at: SourceLocation(file: file, line: position.line, column: position.column),
                "an alias (*name) used as a mapping key; plan keys are plain words"
            )])
        }
        let root: Node
        do {
            // No implicit tag resolution: `YAMLReader` reads every value from its text and style
            // (`int`, `bool`, null), so tags are never used, and resolving them runs a regular
            // expression per scalar — most of the time of loading a large plan, when Yams hashes
            // each mapping's keys to find duplicates.
            guard let composed = try Yams.compose(yaml: text, .basic) else {
                let location = SourceLocation(file: file, line: 1, column: 1)
                throw PlanError.invalid(diagnostics: [PlanDiagnostic(.error, at: location, "the plan is empty")])
            }
            root = composed
        } catch let error as PlanError {
            throw error
        } catch {
            throw PlanError.invalid(diagnostics: [syntaxDiagnostic(error, file: file)])
        }

        guard !mayHaveAliases || PlanChecks.expandedSize(of: root) != nil else {
            throw PlanError.invalid(diagnostics: [PlanDiagnostic(
                .error, at: SourceLocation(file: file, line: 1, column: 1),
                "the plan expands to more than \(PlanChecks.maximumNodes) values (YAML aliases nested too deep?); refusing to read it"
            )])
        }
        var parser = PlanParser(file: file)
        // A value is the text between its quotes or indicators, so a token in a value is in the
        // text, unless an escape (`\x65nvshed_…`, an escaped line break) built it: only a text
        // with something token-shaped or a backslash needs every value checked.
        if text.utf8.contains(UInt8(ascii: "\\")) || Redactor.scrub(text) != text {
            PlanChecks.literalSecrets(in: root, sharesNodes: mayHaveAliases, reader: &parser.reader)
        }
        let parsed = parser.parse(root)
        var reader = parser.reader
        if var plan = parsed {
            PlanChecks.crossRotation(plan, reader: &reader)
            PlanChecks.policy(plan, reader: &reader)
            var diagnostics = reader.diagnostics
            if strict {
                diagnostics = diagnostics.map { diagnostic in
                    var promoted = diagnostic
                    promoted.severity = .error
                    return promoted
                }
            }
            let sorted = sort(diagnostics)
            if sorted.contains(where: { $0.severity == .error }) {
                throw PlanError.invalid(diagnostics: sorted)
            }
            plan.warnings = sorted
            return plan
        }
        let sorted = sort(reader.diagnostics)
        throw PlanError.invalid(diagnostics: sorted.isEmpty
            ? [PlanDiagnostic(.error, at: SourceLocation(file: file, line: 1, column: 1), "the plan could not be read")]
            : sorted)
    }

    private static func sort(_ diagnostics: [PlanDiagnostic]) -> [PlanDiagnostic] {
        var seen = Set<PlanDiagnostic>()
        return diagnostics
            .filter { seen.insert($0).inserted }
            .sorted { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) }
    }

    private static func syntaxDiagnostic(_ error: any Error, file: String) -> PlanDiagnostic {
        func located(_ mark: Mark, _ problem: String, _ context: YamlError.Context?) -> PlanDiagnostic {
            var message = "YAML syntax error: \(problem)"
            if let context { message += " (\(context.text) at line \(context.mark.line))" }
            return PlanDiagnostic(.error, at: SourceLocation(file: file, line: mark.line, column: mark.column), message)
        }
        switch error as? YamlError {
        case .scanner(let context, let problem, let mark, _)?: return located(mark, problem, context)
        case .parser(let context, let problem, let mark, _)?: return located(mark, problem, context)
        case .composer(let context, let problem, let mark, _)?: return located(mark, problem, context)
        case .reader(let problem, let offset, let value, let yaml)?:
            // A character YAML refuses (a control character, a NUL): `offset` counts characters.
            let lines = yaml.prefix(offset ?? 0).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            let column = (lines.last?.unicodeScalars.count ?? 0) + 1
            let character = value >= 0 ? " (character 0x\(String(value, radix: 16, uppercase: true)))" : ""
            return PlanDiagnostic(.error, at: SourceLocation(file: file, line: lines.count, column: column), "YAML syntax error: \(problem)\(character)")
        case .duplicatedKeysInMapping(let duplicates, let context)?:
            return PlanDiagnostic(
                .error,
                at: SourceLocation(file: file, line: context.mark.line, column: context.mark.column),
                "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in one mapping"
            )
        default:
            return PlanDiagnostic(.error, at: SourceLocation(file: file, line: 1, column: 1), "YAML error: \(error)")
        }
    }
}
