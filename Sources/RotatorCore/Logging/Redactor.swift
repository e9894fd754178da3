/// Last line of defence for text that leaves the process: anything shaped like a credential we
/// know is replaced. The first line of defence is `Secret`, which never prints its value.
public enum Redactor {
    /// Prefixes of the token formats this tool handles (Envshed service and personal tokens,
    /// GitHub tokens, GitLab tokens).
    static let prefixes = ["envshed_", "ghp_", "ghs_", "gho_", "ghu_", "ghr_", "github_pat_", "glpat-"]
    /// Prefixes whose tokens may hold a `.` between token characters. GitHub's stateless
    /// installation tokens are `ghs_` followed by a JWT (about 520 characters, two dots); GitHub
    /// recommends matching `ghs_[A-Za-z0-9\._]{36,}`:
    /// https://github.blog/changelog/2026-05-15-github-app-installation-tokens-per-request-override-header/
    static let dottedPrefixes = ["ghs_"]
    /// A prefix followed by at least this many token characters is a token. After `envshed_`, a
    /// digit must be among them, so that `envshed_token_rotation` (a name) is not one, unless
    /// they start with `svc_`: an Envshed service token may have no digit (one in a thousand
    /// does), as may a GitHub token (one in a thousand) or a GitLab token (one in thirty).
    static let minimumBodyLength = 12
    /// A JWT (Kubernetes service-account tokens, GitHub App JWTs, OIDC tokens) is
    /// `header.payload.signature` in base64url, and its header is a JSON object, so it starts with
    /// `eyJ` (`{"`). Text starting `eyJ` with at least this many characters before its first `.`,
    /// and a character after it, is taken for one: a header alone (`{"alg":"RS256"}`) is 20.
    static let jwtPrefix = "eyJ"
    static let minimumJWTHeaderLength = 10

    public static func scrub(_ text: String) -> String {
        var text = text
        return text.withUTF8 { scrubbed($0) } ?? text
    }

    /// The prefixes by first letter: `envshed_` alone starts with e, all others with g.
    private static let ePrefixes = prefixes.filter { $0.hasPrefix("e") }.map { (bytes: Array($0.utf8), dotted: dottedPrefixes.contains($0)) }
    private static let gPrefixes = prefixes.filter { $0.hasPrefix("g") }.map { (bytes: Array($0.utf8), dotted: dottedPrefixes.contains($0)) }
    private static let servicePrefix = Array("svc_".utf8)
    private static let jwtBytes = Array(jwtPrefix.utf8)
    private static let redacted = Array("<redacted>".utf8)

    /// The text with every token replaced, or nil when it holds none. One pass over the UTF-8
    /// bytes (prefixes and token characters are ASCII): this runs on every value of a plan and on
    /// error answers that can be megabytes long, so it must stay linear.
    private static func scrubbed(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var output: [UInt8] = []
        var copied = 0
        var index = 0
        // The run of token characters last measured: it ends at `runEnd`, its last digit is at
        // `lastDigit`. Every prefix found inside it shares its end. Likewise the run last measured
        // with inner dots (`ghs_`, JWTs), and the first dot at or after the last `eyJ` looked at.
        var runEnd = 0
        var lastDigit = -1
        var dottedEnd = 0
        var nextDot = -1

        func dottedRun(from start: Int) -> Int {
            if start >= dottedEnd {
                dottedEnd = start
                while dottedEnd < bytes.count, isTokenByte(bytes[dottedEnd]) || isInnerDot(at: dottedEnd, in: bytes) {
                    dottedEnd += 1
                }
            }
            return dottedEnd
        }

        func replace(from start: Int, keeping prefix: [UInt8], to end: Int) {
            output.append(contentsOf: bytes[copied..<start])
            output.append(contentsOf: prefix)
            output.append(contentsOf: redacted)
            copied = end
        }

        outer: while index < bytes.count {
            let byte = bytes[index]
            guard byte == 0x65 || byte == 0x67 else { // e, g: the first letters of every prefix
                index += 1
                continue
            }
            let candidates = byte == 0x65 ? ePrefixes : gPrefixes
            for prefix in candidates where matches(prefix.bytes, in: bytes, at: index) {
                let bodyStart = index + prefix.bytes.count
                if bodyStart >= runEnd {
                    runEnd = bodyStart
                    lastDigit = -1
                    while runEnd < bytes.count, isTokenByte(bytes[runEnd]) {
                        if bytes[runEnd] >= 0x30 && bytes[runEnd] <= 0x39 { lastDigit = runEnd }
                        runEnd += 1
                    }
                }
                let end = prefix.dotted ? dottedRun(from: bodyStart) : runEnd
                let isNameLike = byte == 0x65 && lastDigit < bodyStart && !matches(servicePrefix, in: bytes, at: bodyStart)
                if end - bodyStart >= minimumBodyLength, !isNameLike {
                    replace(from: index, keeping: prefix.bytes, to: end)
                    index = end
                    continue outer
                }
            }
            if byte == 0x65, matches(jwtBytes, in: bytes, at: index) {
                let end = dottedRun(from: index)
                if nextDot < index {
                    nextDot = index
                    while nextDot < end, bytes[nextDot] != 0x2E { nextDot += 1 }
                }
                // An inner dot is followed by a token character: the payload is not empty.
                if nextDot < end, nextDot - index >= minimumJWTHeaderLength {
                    replace(from: index, keeping: jwtBytes, to: end)
                    index = end
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

    /// ASCII letters, digits, `_` and `-` (base64url's alphabet).
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F || byte == 0x2D
    }

    /// A `.` followed by a token character: inside a dotted token, not the full stop after one.
    private static func isInnerDot(at index: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes[index] == 0x2E && index + 1 < bytes.count && isTokenByte(bytes[index + 1])
    }
}
