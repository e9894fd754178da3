import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A plain HTTP/1.1 server on loopback, a thread per connection, keep-alive, that answers as the
/// test's handler says, including the faults a real network has: an answer cut by a reset, and
/// no answer at all.
final class LoopbackHTTPServer: Sendable {
    struct Received: Sendable {
        var method: String
        var path: String
        /// Lower-cased names.
        var headers: [String: String]
        var body: [UInt8]
    }

    enum Reply: Sendable {
        case respond(status: Int, headers: [String: String] = [:], body: [UInt8] = [])
        /// Declares `declared` body bytes, sends `sent` of them, then resets the connection.
        case resetMidBody(declared: Int, sent: Int)
        /// Reads the request and never answers.
        case hang
        /// Reads the request (the service applied it), then resets the connection without a byte.
        case dropWithoutAnswer
    }

    let port: UInt16
    private let listener: Int32
    private let handler: @Sendable (Received) -> Reply
    private let state = Mutex<(connections: Int, descriptors: [Int32], stopped: Bool)>((0, [], false))

    init(handler: @escaping @Sendable (Received) -> Reply) throws {
        (listener, port) = try LoopbackSocket.listen()
        self.handler = handler
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Connections accepted so far: fewer than requests when the client reuses them.
    var connections: Int { state.withLock { $0.connections } }

    /// Under the lock, so that a descriptor closed and reused by another server is never shut here.
    func stop() {
        state.withLock { state in
            state.stopped = true
            for descriptor in state.descriptors { shutdown(descriptor, Int32(SHUT_RDWR)) }
        }
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
    }

    private func close(connection descriptor: Int32, reset: Bool = false) {
        state.withLock { state in
            state.descriptors.removeAll { $0 == descriptor }
            if reset { LoopbackSocket.reset(descriptor) } else { Glibc.close(descriptor) }
        }
    }

    private func acceptLoop() {
        while true {
            let descriptor = accept(listener, nil, nil)
            guard descriptor >= 0 else { return }
            let stopped = state.withLock { state in
                state.connections += 1
                state.descriptors.append(descriptor)
                return state.stopped
            }
            if stopped {
                Glibc.close(descriptor)
                return
            }
            let thread = Thread { [self] in serve(descriptor) }
            thread.start()
        }
    }

    private func serve(_ descriptor: Int32) {
        var reader = LoopbackReader(descriptor: descriptor)
        while let head = reader.readHead() {
            let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
            let requestLine = lines.first?.split(separator: " ") ?? []
            guard requestLine.count >= 2 else { break }
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            guard let body = reader.read(count: length) else { break }
            let received = Received(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: body)
            switch handler(received) {
            case .respond(let status, let extra, let body):
                var head = "HTTP/1.1 \(status) Status\r\nContent-Length: \(body.count)\r\n"
                for (name, value) in extra { head += "\(name): \(value)\r\n" }
                head += "\r\n"
                guard LoopbackSocket.write(descriptor, Array(head.utf8) + body) else { break }
            case .resetMidBody(let declared, let sent):
                let head = "HTTP/1.1 200 OK\r\nContent-Length: \(declared)\r\n\r\n"
                _ = LoopbackSocket.write(descriptor, Array(head.utf8) + [UInt8](repeating: 0x61, count: sent))
                // Let the head and the first bytes reach the client before the reset discards them.
                usleep(50_000)
                close(connection: descriptor, reset: true)
                return
            case .hang:
                while reader.read(count: 1) != nil {}
            case .dropWithoutAnswer:
                close(connection: descriptor, reset: true)
                return
            }
        }
        close(connection: descriptor)
    }
}
