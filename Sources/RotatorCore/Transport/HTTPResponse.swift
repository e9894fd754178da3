import Foundation

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names are lower-cased so lookups do not depend on the server's spelling.
    public var headers: [String: String]
    public var body: Data
    /// Set by `RetryingTransport` when an earlier attempt of this request got no answer or a 5xx:
    /// that attempt may have been applied, whatever this final answer says. A write answered 4xx
    /// after a timeout may well have landed (docs/crash-safety.md, "retries").
    public var followsUncertainAttempt = false

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The start of the body for an error message, as `quote` renders it.
    public var bodySnippet: String {
        Self.quote(String(decoding: body.prefix(Self.quoteLimit + 1), as: UTF8.self))
    }

    /// The most of a service's text an error message quotes, in bytes.
    static let quoteLimit = 300

    /// A service's text (an error message, a reason, a body) made fit to quote: on one line, at
    /// most `quoteLimit` bytes, and scrubbed by `Redactor`. Services answer with megabytes
    /// sometimes; an operator needs the first sentence. The cut is never inside a word: a token
    /// cut short is too short for `Redactor` to recognise, and its start would be printed.
    public static func quote(_ text: String) -> String {
        var bytes = Array(text.utf8.prefix(quoteLimit + 1))
        if bytes.count > quoteLimit {
            var end = quoteLimit
            if isWordByte(bytes[end]) {
                while end > 0, isWordByte(bytes[end - 1]) { end -= 1 }
            }
            bytes = Array(bytes[..<end]) + Array(" …".utf8)
        }
        let line = String(decoding: bytes, as: UTF8.self)
            .replacingOccurrences(of: "\r", with: " ")
            .replacingOccurrences(of: "\n", with: " ")
            .trimmingCharacters(in: .whitespaces)
        return dropCutToken(Redactor.scrub(line))
    }

    /// The service's own text may stop inside a token (a truncated answer): a last word that
    /// still starts like a token after redaction is too short for `Redactor` to know, and goes.
    private static func dropCutToken(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var start = bytes.count
        while start > 0, isWordByte(bytes[start - 1]) { start -= 1 }
        let last = bytes[start...]
        guard Redactor.prefixes.contains(where: { last.starts(with: $0.utf8) }) || last.starts(with: Redactor.jwtPrefix.utf8) else { return text }
        return String(decoding: bytes[..<start], as: UTF8.self) + "…"
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x2D
    }

    public func jsonObject() -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
    }
}
