import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An HTTP CONNECT proxy on loopback that records every tunnel asked of it and relays the bytes
/// to 127.0.0.1 at the requested port, whatever the host name (the tests' servers are on loopback).
final class LoopbackConnectProxy: Sendable {
    let port: UInt16
    private let listener: Int32
    private let tunnels = Mutex<[String]>([])

    init() throws {
        (listener, port) = try LoopbackSocket.listen()
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// The `host:port` of every CONNECT received, in order.
    var requested: [String] { tunnels.withLock { $0 } }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let thread = Thread { [self] in tunnel(client) }
            thread.start()
        }
    }

    private func tunnel(_ client: Int32) {
        var reader = LoopbackReader(descriptor: client)
        guard let head = reader.readHead() else {
            close(client)
            return
        }
        let requestLine = head.prefix { $0 != "\r" }.split(separator: " ")
        guard requestLine.count >= 2, requestLine[0] == "CONNECT", let port = requestLine[1].split(separator: ":").last.flatMap({ UInt16($0) }),
            let upstream = LoopbackSocket.connect(port: port)
        else {
            _ = LoopbackSocket.write(client, Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8))
            close(client)
            return
        }
        tunnels.withLock { $0.append(String(requestLine[1])) }
        guard LoopbackSocket.write(client, Array("HTTP/1.1 200 Connection established\r\n\r\n".utf8)) else {
            close(client)
            close(upstream)
            return
        }
        // Bytes the client sent after its CONNECT head (none, normally) go first.
        let pending = reader
        let toUpstream = Thread {
            var reader = pending
            while let bytes = reader.readAvailable(), LoopbackSocket.write(upstream, bytes) {}
            shutdown(upstream, Int32(SHUT_WR))
        }
        toUpstream.start()
        var fromUpstream = LoopbackReader(descriptor: upstream)
        while let bytes = fromUpstream.readAvailable(), LoopbackSocket.write(client, bytes) {}
        shutdown(client, Int32(SHUT_RDWR))
        // Give the other direction a moment to notice before both descriptors go away.
        usleep(100_000)
        close(client)
        close(upstream)
    }
}
