/// What a token value can look like, for offline checks against a target's value rules (GitLab's
/// masking): a fixed prefix, then characters from an alphabet.
struct TokenFormat: Sendable {
    var prefix: String
    var bodyAlphabet: Set<Character>
    var minimumBodyLength: Int

    init(prefix: String, bodyAlphabet: String, minimumBodyLength: Int) {
        self.prefix = prefix
        self.bodyAlphabet = Set(bodyAlphabet)
        self.minimumBodyLength = minimumBodyLength
    }

    /// Every character a token of this format may contain.
    var characters: Set<Character> { bodyAlphabet.union(prefix) }

    /// The shortest token of this format.
    var minimumLength: Int { prefix.count + minimumBodyLength }
}
