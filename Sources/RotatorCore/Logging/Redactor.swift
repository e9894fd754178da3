import Foundation

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
        guard mayContainToken(text) else { return text }
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

    /// A fast byte search for any prefix: almost every line has none, and this runs on every
    /// log line, audit record and report.
    private static func mayContainToken(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { haystack in
            guard haystack.count >= 4 else { return false }
            for index in 0...(haystack.count - 4) {
                // Every prefix starts with "e", "g" and has a known second byte: cheap to rule out.
                let first = haystack[index]
                guard first == 0x65 || first == 0x67 else { continue }
                for needle in prefixBytes where index + needle.count <= haystack.count {
                    var matched = true
                    for offset in 0..<needle.count where haystack[index + offset] != needle[offset] {
                        matched = false
                        break
                    }
                    if matched { return true }
                }
            }
            return false
        }
    }

    private static let prefixBytes: [[UInt8]] = prefixes.map { Array($0.utf8) }

    private static func isTokenCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == "-")
    }
}
