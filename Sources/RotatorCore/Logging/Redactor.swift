/// Last line of defence for text that leaves the process: anything shaped like a credential we
/// know is replaced. The first line of defence is `Secret`, which never prints its value.
public enum Redactor {
    /// Prefixes of the token formats this tool handles (Envshed service and personal tokens,
    /// GitHub tokens, GitLab tokens).
    static let prefixes = ["envshed_", "ghp_", "ghs_", "gho_", "ghu_", "github_pat_", "glpat-"]

    public static func scrub(_ text: String) -> String {
        guard prefixes.contains(where: { text.contains($0) }) else { return text }
        var result = ""
        var index = text.startIndex
        outer: while index < text.endIndex {
            for prefix in prefixes where text[index...].hasPrefix(prefix) {
                var end = text.index(index, offsetBy: prefix.count)
                while end < text.endIndex, text[end].isLetter || text[end].isNumber || text[end] == "_" || text[end] == "-" {
                    end = text.index(after: end)
                }
                result += prefix + "<redacted>"
                index = end
                continue outer
            }
            result.append(text[index])
            index = text.index(after: index)
        }
        return result
    }
}
