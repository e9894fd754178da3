import Foundation

/// A thread-safe counter for fake transports: 1, 2, 3, …
final class CallCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func next() -> Int {
        lock.withLock {
            value += 1
            return value
        }
    }
}
