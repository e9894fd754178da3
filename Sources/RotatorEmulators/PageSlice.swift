/// One page of a list paged the way GitHub and GitLab page theirs: `page` (from 1) and `per_page`,
/// capped at 100 (https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api,
/// https://docs.gitlab.com/api/rest/#pagination). A missing or unreadable value falls back to the
/// default, as both services do.
struct PageSlice {
    static let maximumPerPage = 100

    let page: Int
    let perPage: Int
    let total: Int

    init(query: [String: String], total: Int, defaultPerPage: Int) {
        let asked = query["per_page"].flatMap { Int($0) }.flatMap { $0 >= 1 ? $0 : nil } ?? defaultPerPage
        self.perPage = min(asked, Self.maximumPerPage)
        self.page = query["page"].flatMap { Int($0) }.flatMap { $0 >= 1 ? $0 : nil } ?? 1
        self.total = total
    }

    var totalPages: Int { max(1, (total + perPage - 1) / perPage) }

    /// The positions of this page's items in the whole list (empty past the end).
    var range: Range<Int> {
        let start = min((page - 1) * perPage, total)
        return start..<min(start + perPage, total)
    }

    var nextPage: Int? { page < totalPages ? page + 1 : nil }
    var previousPage: Int? { page > 1 ? min(page - 1, totalPages) : nil }

    /// `<url?per_page=N&page=2>; rel="next", …` with absolute URLs, as both services send it;
    /// `first` and `last` always, `prev` and `next` where they exist.
    func linkHeader(url: String, otherQuery: [(String, String)] = []) -> String {
        func link(_ page: Int, _ relation: String) -> String {
            let query = (otherQuery + [("per_page", String(perPage)), ("page", String(page))]).map { "\($0.0)=\($0.1)" }.joined(separator: "&")
            return "<\(url)?\(query)>; rel=\"\(relation)\""
        }
        var links: [String] = []
        if let previousPage { links.append(link(previousPage, "prev")) }
        if let nextPage { links.append(link(nextPage, "next")) }
        links.append(link(1, "first"))
        links.append(link(totalPages, "last"))
        return links.joined(separator: ", ")
    }
}
