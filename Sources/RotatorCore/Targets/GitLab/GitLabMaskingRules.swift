/// GitLab's rules for values of masked variables, from `app/models/concerns/ci/maskable.rb`:
///
/// - masked and expanded (`raw: false`): `\A[a-zA-Z0-9_+=/@:.~-]{8,}\z`;
/// - masked and raw (`raw: true`): `\A\S{8,}\z`.
///
/// `validate` checks, offline, that every token the assumed Envshed format can produce meets the
/// rule the target's `raw` selects. With the assumed format (`envshed_svc_` + letters and digits,
/// 20 characters at least) both rules hold: `_` is in the expanded alphabet, and there is no
/// whitespace. The target still sends `raw: true` unless the plan says otherwise, so a `$` in a
/// future token format would never be expanded by a pipeline.
enum GitLabMaskingRules {
    static let minimumLength = 8
    /// The characters `maskable.rb`'s `REGEX` allows for a masked variable that is expanded.
    static let expandedAlphabet: Set<Character> = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=/@:.~-")

    /// The rules in one sentence, for error messages.
    static func summary(raw: Bool) -> String {
        raw
            ? "GitLab masks a raw variable only when its value is at least \(minimumLength) characters and has no whitespace"
            : "GitLab masks an expanded (raw: false) variable only when its value is at least \(minimumLength) characters of A-Z a-z 0-9 and _ + = / @ : . ~ -"
    }

    /// Whether GitLab would accept `value` for a masked variable.
    static func accepts(_ value: String, raw: Bool) -> Bool {
        guard value.count >= minimumLength else { return false }
        if raw {
            return !value.contains { $0.isWhitespace }
        }
        return value.allSatisfy { expandedAlphabet.contains($0) }
    }

    /// Why some token of `format` could not be masked, or nil when every one can.
    static func problem(for format: TokenFormat, raw: Bool) -> String? {
        if format.minimumLength < minimumLength {
            return "tokens can be as short as \(format.minimumLength) characters; \(summary(raw: raw))"
        }
        let refused = format.characters.filter { raw ? $0.isWhitespace : !expandedAlphabet.contains($0) }
        if !refused.isEmpty {
            let shown = refused.sorted().map { "'\($0)'" }.joined(separator: " ")
            let advice = raw ? "" : "; set raw: true (the default), which allows any non-whitespace character"
            return "tokens may contain \(shown); \(summary(raw: raw))\(advice)"
        }
        return nil
    }
}
