import Foundation

/// Appends an API path to a base URL that may carry a path of its own (GitHub Enterprise's
/// `https://HOST/api/v3`): `URL(string:relativeTo:)` would drop it for a path starting with `/`.
enum URLJoin {
    static func join(_ base: URL, _ path: String) -> URL? {
        var text = base.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return URL(string: text + path)
    }

    /// One path segment, percent-encoded; `/` becomes `%2F` (GitHub environment names may contain it).
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? text
    }
}
