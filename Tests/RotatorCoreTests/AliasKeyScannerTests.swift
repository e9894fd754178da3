import Testing
@testable import RotatorCore

@Suite("Alias keys found before composing")
struct AliasKeyScannerTests {
    @Test("an alias in key position is found, at its line and column", arguments: [
        ("? *a\n: 1\n", 1, 3),
        ("x: 1\n*a : 1\n", 2, 1),
        ("x: 1\n*a: 1\n", 2, 1),
        ("m: { b: 1, *a : 2 }\n", 1, 12),
        ("list:\n  - ? *a\n    : 1\n", 2, 7),
        ("é: 1\n  *a:\n", 2, 3),
        // A quote inside a word opens no quoted scalar.
        ("m: { k: it\"s, *a : 1 }\n", 1, 15),
    ])
    func found(text: String, line: Int, column: Int) {
        let position = AliasKeyScanner.firstAliasKey(in: text)
        #expect(position?.line == line && position?.column == column, "\(String(describing: position))")
    }

    @Test("aliases as values, quoted text, comments and GitLab's '*' scope are not keys", arguments: [
        "x: *a\n",
        "x: [*a, *b]\n",
        "x: { k: *a }\n",
        "purpose: \"*a : not a key\"\n",
        "purpose: '? *a'\n",
        "x: 1 # *a : a comment\n",
        "# *a : a comment\n",
        "- gitlab: { project: acme/api, variable: T, environment_scope: \"*\" }\n",
        "note: a*b : c\n",
    ])
    func notFound(text: String) {
        #expect(AliasKeyScanner.firstAliasKey(in: text) == nil)
    }
}
