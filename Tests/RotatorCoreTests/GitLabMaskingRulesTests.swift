import Testing

@testable import RotatorCore

@Suite("GitLab masking rules against the token format")
struct GitLabMaskingRulesTests {
    @Test("the assumed Envshed format can be masked raw and expanded (underscore is in maskable.rb's alphabet)")
    func assumedFormat() {
        #expect(GitLabMaskingRules.problem(for: EnvshedAPIAssumptions.serviceTokenFormat, raw: true) == nil)
        #expect(GitLabMaskingRules.problem(for: EnvshedAPIAssumptions.serviceTokenFormat, raw: false) == nil)
        #expect(GitLabMaskingRules.accepts("envshed_svc_0123456789abcdefABCDEF", raw: false))
    }

    @Test("a format with $ or spaces, or too short, is caught before any write")
    func impossibleFormats() throws {
        let dollar = TokenFormat(prefix: "tok_", bodyAlphabet: "abc$", minimumBodyLength: 10)
        #expect(GitLabMaskingRules.problem(for: dollar, raw: true) == nil, "raw allows any non-whitespace")
        let expanded = try #require(GitLabMaskingRules.problem(for: dollar, raw: false))
        #expect(expanded.contains("'$'") && expanded.contains("set raw: true"))
        let spaced = TokenFormat(prefix: "tok ", bodyAlphabet: "abc", minimumBodyLength: 10)
        #expect(GitLabMaskingRules.problem(for: spaced, raw: true)?.contains("no whitespace") == true)
        let short = TokenFormat(prefix: "t", bodyAlphabet: "abc", minimumBodyLength: 3)
        #expect(GitLabMaskingRules.problem(for: short, raw: true)?.contains("as short as 4") == true)
        #expect(!GitLabMaskingRules.accepts("has space in it", raw: true))
        #expect(!GitLabMaskingRules.accepts("short", raw: true))
        #expect(!GitLabMaskingRules.accepts("dollar$sign", raw: false))
    }
}
