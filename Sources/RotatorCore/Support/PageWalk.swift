import Foundation

/// The guard of a walk through a paginated list. A list read in part would let the tool act on
/// what it did not see (a token it thinks absent, a repository it thinks unshared), so every walk
/// stops with a problem instead of an answer when the pages cannot all have been read: more pages
/// than `limit`, a next link that points at a page already read, or one that leaves the API.
struct PageWalk {
    /// 100,000 items at 100 a page, 20,000 at Envshed's unknown page size if it is 20: a longer
    /// list is more likely a server looping than a real org.
    static let defaultLimit = 1000

    let base: URL
    let limit: Int
    private(set) var pagesRead = 0
    private var visited: Set<String> = []

    init(base: URL, limit: Int = Self.defaultLimit) {
        self.base = base
        self.limit = limit
    }

    /// Records that the page at `path` (under `base`, query included) is about to be read.
    /// - Returns: why the walk must stop, or nil.
    mutating func visit(_ path: String) -> String? {
        guard visited.insert(path).inserted else {
            return "the next-page link points back at a page already read (\(Self.withoutQueryValues(path))): the list cannot be read to its end"
        }
        guard pagesRead < limit else {
            return "the list has more than \(limit) pages, the most this version reads; it is treated as incomplete"
        }
        pagesRead += 1
        return nil
    }

    /// Turns a next-page link (absolute, or relative to the page at `current`) into a path under
    /// `base`. Nil when it points anywhere else: the request would carry the credential there.
    func path(ofNext link: String, after current: String) -> String? {
        guard let currentURL = URLJoin.join(base, current), let next = URL(string: link, relativeTo: currentURL)?.absoluteURL else {
            return nil
        }
        return URLJoin.relativePath(of: next, under: base)
    }

    /// The path with query values left out (`?cursor=…`): a cursor may be long or opaque.
    private static func withoutQueryValues(_ path: String) -> String {
        guard let mark = path.firstIndex(of: "?") else { return path }
        let names = path[path.index(after: mark)...].split(separator: "&").map { $0.split(separator: "=", maxSplits: 1)[0] }
        return String(path[..<mark]) + "?" + names.map { "\($0)=…" }.joined(separator: "&")
    }
}
