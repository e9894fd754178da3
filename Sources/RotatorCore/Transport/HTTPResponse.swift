import Foundation

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names are lower-cased so lookups do not depend on the server's spelling.
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The start of the body for an error message. Only ever called for error answers, which carry
    /// no token; `Redactor` scrubs anything token-shaped anyway.
    public var bodySnippet: String {
        // Never cut inside a word: a token cut short is too short for `Redactor` to recognise,
        // and the part before the cut would be printed.
        var end = min(body.count, 300)
        if end < body.count, Self.isWordByte(body[body.startIndex + end]) {
            while end > 0, Self.isWordByte(body[body.startIndex + end - 1]) { end -= 1 }
        }
        let text = String(decoding: body.prefix(end), as: UTF8.self)
            .replacingOccurrences(of: "\n", with: " ")
            .trimmingCharacters(in: .whitespaces)
        return Redactor.scrub(text)
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x2D
    }

    public func jsonObject() -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
    }
}
