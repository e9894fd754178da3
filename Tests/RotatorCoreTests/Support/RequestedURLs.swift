import Foundation

/// The URLs a fake transport was asked for, in order.
final class RequestedURLs: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [URL] = []

    func add(_ url: URL) { lock.withLock { list.append(url) } }
    var urls: [URL] { lock.withLock { list } }
}
