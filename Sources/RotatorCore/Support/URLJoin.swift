import Foundation

/// Appends an API path to a base URL that may carry a path of its own (GitHub Enterprise's
/// `https://HOST/api/v3`): `URL(string:relativeTo:)` would drop it for a path starting with `/`.
enum URLJoin {
    static func join(_ base: URL, _ path: String) -> URL? {
        var text = base.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return URL(string: text + path)
    }

    /// The path and query of `url` after `base` (`/orgs/acme/…?page=2`), or nil when `url` is not
    /// under `base`: another scheme, host, port or path prefix.
    static func relativePath(of url: URL, under base: URL) -> String? {
        var prefix = base.absoluteString
        while prefix.hasSuffix("/") { prefix.removeLast() }
        let text = url.absoluteString
        guard text.hasPrefix(prefix) else { return nil }
        let rest = String(text.dropFirst(prefix.count))
        guard rest.isEmpty || rest.hasPrefix("/") || rest.hasPrefix("?") else { return nil }
        return rest
    }

    /// One path segment, percent-encoded; `/` becomes `%2F` (GitHub environment names may contain it).
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? text
    }
}
