#if canImport(Glibc)
import Glibc
#endif

/// Buffered reads from a socket: an HTTP head up to its blank line, then a body of known length.
struct LoopbackReader {
    let descriptor: Int32
    private var buffer: [UInt8] = []

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// The head without its final blank line, or nil when the peer closed.
    mutating func readHead() -> String? {
        let end: [UInt8] = [13, 10, 13, 10]
        while true {
            if buffer.count >= 4, let index = (0...(buffer.count - 4)).first(where: { buffer[$0..<($0 + 4)].elementsEqual(end) }) {
                let head = String(decoding: buffer[..<index], as: UTF8.self)
                buffer.removeFirst(index + 4)
                return head
            }
            guard fill() else { return nil }
        }
    }

    mutating func read(count: Int) -> [UInt8]? {
        while buffer.count < count {
            guard fill() else { return nil }
        }
        let bytes = Array(buffer[..<count])
        buffer.removeFirst(count)
        return bytes
    }

    /// Whatever has arrived, or nil when the peer closed.
    mutating func readAvailable() -> [UInt8]? {
        if buffer.isEmpty, !fill() { return nil }
        defer { buffer.removeAll() }
        return buffer
    }

    private mutating func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let received = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard received > 0 else { return false }
        buffer.append(contentsOf: chunk[..<received])
        return true
    }
}
