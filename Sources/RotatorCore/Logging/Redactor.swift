/// Last line of defence for text that leaves the process: anything shaped like a credential we
/// know is replaced. The first line of defence is `Secret`, which never prints its value.
public enum Redactor {
    /// Prefixes of the token formats this tool handles (Envshed service and personal tokens,
    /// GitHub tokens, GitLab tokens).
    static let prefixes = ["envshed_", "ghp_", "ghs_", "gho_", "ghu_", "ghr_", "github_pat_", "glpat-"]
    /// A prefix followed by at least this many token characters, a digit among them, is a token;
    /// `envshed_token` (a secret's name) is not. An Envshed service token (`envshed_svc_` and at
    /// least 8 letters and digits) is one without a digit too: about one in a thousand has none.
    static let minimumBodyLength = 12

    public static func scrub(_ text: String) -> String {
        guard prefixes.contains(where: { text.contains($0) }) else { return text }
        var result = ""
        var index = text.startIndex
        outer: while index < text.endIndex {
            for prefix in prefixes where text[index...].hasPrefix(prefix) {
                let bodyStart = text.index(index, offsetBy: prefix.count)
                var end = bodyStart
                while end < text.endIndex, isTokenCharacter(text[end]) {
                    end = text.index(after: end)
                }
                let body = text[bodyStart..<end]
                if body.count >= minimumBodyLength, body.contains(where: \.isNumber) || (prefix == "envshed_" && body.hasPrefix("svc_")) {
                    result += prefix + "<redacted>"
                    index = end
                    continue outer
                }
            }
            result.append(text[index])
            index = text.index(after: index)
        }
        return result
    }

    private static func isTokenCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == "-")
    }
}
