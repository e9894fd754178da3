import Foundation

/// The `Link` header of RFC 8288 as GitHub and GitLab paginate with it:
/// `<https://api.github.com/…?page=2>; rel="next", <https://api.github.com/…?page=5>; rel="last"`.
enum LinkHeader {
    /// The target of the first link whose `rel` names `relation`, or nil (no header, no such link,
    /// or a header that cannot be read).
    static func target(_ header: String?, relation: String) -> String? {
        guard let header else { return nil }
        var rest = Substring(header)
        while let open = rest.firstIndex(of: "<") {
            guard let close = rest[open...].firstIndex(of: ">") else { return nil }
            let target = String(rest[rest.index(after: open)..<close])
            // A URL never holds a bare `<`, so the parameters run up to the next link.
            let parametersEnd = rest[close...].firstIndex(of: "<") ?? rest.endIndex
            let parameters = rest[rest.index(after: close)..<parametersEnd]
            if relations(in: parameters).contains(relation.lowercased()) { return target }
            rest = rest[parametersEnd...]
        }
        return nil
    }

    /// The space-separated relation types of `rel="next prev"` or `rel=next`, lower-cased.
    private static func relations(in parameters: Substring) -> [String] {
        for parameter in parameters.split(whereSeparator: { $0 == ";" || $0 == "," }) {
            let parts = parameter.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces).lowercased() == "rel" else { continue }
            let value = parts[1].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            return value.lowercased().split(separator: " ").map(String.init)
        }
        return []
    }
}
