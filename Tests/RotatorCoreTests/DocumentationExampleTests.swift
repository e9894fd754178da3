import Foundation
import RotatorCore
import Testing

/// Every YAML example in README.md, docs/*.md and config.example.yaml is read by the plan loader,
/// offline, so the docs cannot drift from what the parser accepts.
///
/// A fence is a whole plan unless the line before it says otherwise:
/// - `<!-- example: plan-keys -->`: top-level keys of a plan (`notify:`, `metrics_file:`), checked
///   appended to a small valid plan;
/// - `<!-- example: fragment -->`: a piece that is not valid alone (a list of targets with
///   machine-specific paths and owners), checked for YAML syntax only;
/// - `<!-- example: not-a-plan -->`: other YAML (Prometheus rules), checked for YAML syntax only.
@Suite("Documentation examples")
struct DocumentationExampleTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    enum Kind: String, Sendable {
        case plan, planKeys = "plan-keys", fragment, notAPlan = "not-a-plan"
    }

    struct Example: CustomTestStringConvertible, Sendable {
        let file: String
        let line: Int
        let kind: Kind
        let yaml: String
        var testDescription: String { "\(file):\(line) (\(kind.rawValue))" }
    }

    /// A valid plan that `plan-keys` examples are appended to; it has no `notify` or `metrics_file`.
    static let base = """
        version: 1
        envshed: { org: acme, token: env:ENVSHED_TOKEN }
        rotations:
          - id: docs-example
            purpose: docs example
            scope: project
            project: { slug: api, id: 3f1c2b7e-0000-4000-8000-000000000001 }
            verify: { pull: { project: api, environment: production } }
            targets:
              - file: { path: /tmp/envshed-rotator-docs-example }

        """

    static func markdownFiles() -> [URL] {
        let docs = repositoryRoot.appendingPathComponent("docs")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: docs.path)) ?? []
        return [repositoryRoot.appendingPathComponent("README.md")]
            + names.filter { $0.hasSuffix(".md") }.sorted().map { docs.appendingPathComponent($0) }
    }

    /// The ```yaml fences of one Markdown file, with the marker on the line before each, if any.
    static func examples(in url: URL) throws -> [Example] {
        let text = try String(contentsOf: url, encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        let name = url.path.replacingOccurrences(of: repositoryRoot.path + "/", with: "")
        var examples: [Example] = []
        var index = 0
        while index < lines.count {
            guard lines[index].trimmingCharacters(in: .whitespaces) == "```yaml" else {
                index += 1
                continue
            }
            let start = index
            var kind = Kind.plan
            let previous = start > 0 ? lines[start - 1].trimmingCharacters(in: .whitespaces) : ""
            if previous.hasPrefix("<!-- example:"), previous.hasSuffix("-->") {
                let word = previous.dropFirst("<!-- example:".count).dropLast("-->".count).trimmingCharacters(in: .whitespaces)
                guard let marked = Kind(rawValue: word) else {
                    throw DocsError(message: "\(name):\(start): unknown example marker '\(word)'")
                }
                kind = marked
            }
            index += 1
            var body: [String] = []
            while index < lines.count, lines[index].trimmingCharacters(in: .whitespaces) != "```" {
                body.append(lines[index])
                index += 1
            }
            examples.append(Example(file: name, line: start + 1, kind: kind, yaml: body.joined(separator: "\n") + "\n"))
            index += 1
        }
        return examples
    }

    static func allExamples() throws -> [Example] {
        try markdownFiles().flatMap { try examples(in: $0) }
    }

    struct DocsError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// The loader's errors for a text, or [] when it loads.
    static func errors(_ yaml: String, file: String) -> [PlanDiagnostic] {
        do {
            _ = try PlanLoader.parse(yaml, file: file)
            return []
        } catch {
            guard case .invalid(let diagnostics) = error else {
                return [PlanDiagnostic(.error, at: RotatorCore.SourceLocation(file: file, line: 1, column: 1), "\(error)")]
            }
            return diagnostics.filter { $0.severity == .error }
        }
    }

    @Test("the docs have the examples this test is meant to check")
    func examplesFound() throws {
        let examples = try Self.allExamples()
        let plans = examples.filter { $0.kind == .plan }
        #expect(plans.contains { $0.file == "README.md" }, "the README's one-rotation plan")
        #expect(plans.contains { $0.file == "docs/configuration.md" && $0.yaml.contains("<<: *") }, "the many-services pattern")
        #expect(examples.contains { $0.kind == .planKeys })
    }

    @Test("every whole plan in the docs loads and validates", arguments: try allExamples().filter { $0.kind == .plan })
    func wholePlan(_ example: Example) {
        let errors = Self.errors(example.yaml, file: example.file)
        #expect(errors.isEmpty, "\(example.testDescription): \(errors.map(\.description))")
    }

    @Test("every set of plan keys in the docs validates in a plan", arguments: try allExamples().filter { $0.kind == .planKeys })
    func planKeys(_ example: Example) {
        let errors = Self.errors(Self.base + example.yaml, file: example.file)
        #expect(errors.isEmpty, "\(example.testDescription): \(errors.map(\.description))")
    }

    /// A fragment is not a plan, so the loader refuses it, but never for its YAML syntax.
    @Test("fragments and other YAML in the docs are valid YAML", arguments: try allExamples().filter { $0.kind == .fragment || $0.kind == .notAPlan })
    func syntaxOnly(_ example: Example) {
        let errors = Self.errors(example.yaml, file: example.file)
        #expect(!errors.contains { $0.message.hasPrefix("YAML syntax error") || $0.message.hasPrefix("YAML error") },
                "\(example.testDescription): \(errors.map(\.description))")
    }

    @Test("config.example.yaml loads and validates")
    func configExample() throws {
        let url = Self.repositoryRoot.appendingPathComponent("config.example.yaml")
        let plan = try PlanLoader.load(path: url.path)
        #expect(!plan.rotations.isEmpty)
        #expect(plan.concurrency == 8, "its comment says it shows the default")
    }
}
