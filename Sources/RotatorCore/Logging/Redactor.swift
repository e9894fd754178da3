/// Last line of defence for text that leaves the process: anything shaped like a credential we
/// know is replaced. The first line of defence is `Secret`, which never prints its value.
public enum Redactor {
    /// Prefixes of the token formats this tool handles (Envshed service and personal tokens,
    /// GitHub tokens, GitLab tokens).
    static let prefixes = ["envshed_", "ghp_", "ghs_", "gho_", "ghu_", "ghr_", "github_pat_", "glpat-"]
    /// A prefix followed by at least this many token characters is a token. After `envshed_`, a
    /// digit must be among them, so that `envshed_token_rotation` (a name) is not one, unless
    /// they start with `svc_`: an Envshed service token may have no digit (one in a thousand
    /// does), as may a GitHub token (one in a thousand) or a GitLab token (one in thirty).
    static let minimumBodyLength = 12

    public static func scrub(_ text: String) -> String {
        var text = text
        return text.withUTF8 { scrubbed($0) } ?? text
    }

    /// The prefixes by first letter: `envshed_` alone starts with e, all others with g.
    private static let ePrefixes = prefixes.filter { $0.hasPrefix("e") }.map { Array($0.utf8) }
    private static let gPrefixes = prefixes.filter { $0.hasPrefix("g") }.map { Array($0.utf8) }
    private static let servicePrefix = Array("svc_".utf8)
    private static let redacted = Array("<redacted>".utf8)

    /// The text with every token replaced, or nil when it holds none. One pass over the UTF-8
    /// bytes (prefixes and token characters are ASCII): this runs on every value of a plan and on
    /// error answers that can be megabytes long, so it must stay linear.
    private static func scrubbed(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var output: [UInt8] = []
        var copied = 0
        var index = 0
        // The run of token characters last measured: it ends at `runEnd`, its last digit is at
        // `lastDigit`. Every prefix found inside it shares its end.
        var runEnd = 0
        var lastDigit = -1
        outer: while index < bytes.count {
            let byte = bytes[index]
            guard byte == 0x65 || byte == 0x67 else { // e, g: the first letters of every prefix
                index += 1
                continue
            }
            for prefix in byte == 0x65 ? ePrefixes : gPrefixes where matches(prefix, in: bytes, at: index) {
                let bodyStart = index + prefix.count
                if bodyStart >= runEnd {
                    runEnd = bodyStart
                    lastDigit = -1
                    while runEnd < bytes.count, isTokenByte(bytes[runEnd]) {
                        if bytes[runEnd] >= 0x30 && bytes[runEnd] <= 0x39 { lastDigit = runEnd }
                        runEnd += 1
                    }
                }
                let isNameLike = byte == 0x65 && lastDigit < bodyStart && !matches(servicePrefix, in: bytes, at: bodyStart)
                if runEnd - bodyStart >= minimumBodyLength, !isNameLike {
                    output.append(contentsOf: bytes[copied..<index])
                    output.append(contentsOf: prefix)
                    output.append(contentsOf: redacted)
                    index = runEnd
                    copied = runEnd
                    continue outer
                }
            }
            index += 1
        }
        guard copied > 0 else { return nil }
        output.append(contentsOf: bytes[copied...])
        return String(decoding: output, as: UTF8.self)
    }

    private static func matches(_ prefix: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        guard index + prefix.count <= bytes.count else { return false }
        for offset in prefix.indices where bytes[index + offset] != prefix[offset] {
            return false
        }
        return true
    }

    /// ASCII letters, digits, `_` and `-`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F || byte == 0x2D
    }
}
