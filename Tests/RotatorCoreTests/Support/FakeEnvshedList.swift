import Foundation
import RotatorCore

/// A fake Envshed that serves `tokens` in pages of `pageSize`, in one of the shapes the client follows.
final class FakeEnvshedList: HTTPTransport, @unchecked Sendable {
    let tokens: [[String: Any]]
    let pageSize: Int
    let shape: PaginationTests.Shape
    private let lock = NSLock()
    private var served = 0

    init(tokens: [[String: Any]], pageSize: Int, shape: PaginationTests.Shape) {
        self.tokens = tokens
        self.pageSize = pageSize
        self.shape = shape
    }

    var pagesServed: Int { lock.withLock { served } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        lock.withLock { served += 1 }
        let query = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems ?? []
        let start: Int
        if let cursor = query.first(where: { $0.name == "cursor" })?.value {
            start = Int(cursor.dropFirst(2))!
        } else if let page = query.first(where: { $0.name == "page" })?.value {
            start = (Int(page)! - 1) * pageSize
        } else {
            start = 0
        }
        let page = Array(tokens[min(start, tokens.count)..<min(start + pageSize, tokens.count)])
        let end = start + pageSize
        let more = end < tokens.count
        let number = start / pageSize + 1
        let path = "/api/v1/service-tokens/acme"
        switch shape {
        case .cursorField:
            return PaginationTests.json(["serviceTokens": page, "nextCursor": more ? "c-\(end)" as Any : NSNull(), "total": tokens.count])
        case .nestedCursor:
            return PaginationTests.json(["data": page, "pagination": ["next_cursor": more ? "c-\(end)" as Any : NSNull(), "total_count": tokens.count]])
        case .linkHeaderAbsolute, .linkHeaderRelative, .bareArrayWithLink:
            var headers: [String: String] = [:]
            if more {
                let prefix = shape == .linkHeaderRelative ? "" : PaginationTests.base.absoluteString
                headers["Link"] = "<\(prefix)\(path)?page=\(number + 1)>; rel=\"next\", <\(prefix)\(path)?page=1>; rel=\"first\""
            }
            let body: Any = shape == .bareArrayWithLink ? page : ["tokens": page]
            return HTTPResponse(status: 200, headers: headers, body: PaginationTests.body(body))
        case .nextURLField:
            return PaginationTests.json(["items": page, "links": ["next": more ? "\(path)?page=\(number + 1)" as Any : NSNull()]])
        case .pageNumbers:
            let pages = max(1, (tokens.count + pageSize - 1) / pageSize)
            return PaginationTests.json(["serviceTokens": page, "page": number, "totalPages": pages, "total": tokens.count])
        }
    }
}
