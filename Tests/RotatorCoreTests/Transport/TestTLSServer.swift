import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A private CA and an HTTPS server on loopback whose certificate it signed for `localhost` only:
/// `openssl s_server -www`, which answers every GET with 200 over HTTP/1, or `nghttpd`, which
/// speaks HTTP/2 only (negotiated by ALPN) and serves `/index.txt`.
final class TestTLSServer: Sendable {
    let directory: String
    let port: UInt16
    /// The private CA's certificate: what a client must be given to trust the server.
    var caFile: String { directory + "/ca.crt" }
    private let server: Process

    static var opensslAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") }
    static var nghttpdAvailable: Bool { opensslAvailable && FileManager.default.isExecutableFile(atPath: nghttpd) }
    static let nghttpd = "/usr/sbin/nghttpd"

    init(http2Only: Bool = false) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let commands = [
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
             "-subj", "/CN=Transport Test CA", "-keyout", "ca.key", "-out", "ca.crt"],
            ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=localhost",
             "-keyout", "server.key", "-out", "server.csr"],
            ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1",
             "-extfile", "san.cnf", "-out", "server.crt"],
        ]
        try "subjectAltName=DNS:localhost\n".write(toFile: directory + "/san.cnf", atomically: true, encoding: .utf8)
        for arguments in commands {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw LoopbackSocket.Failure(call: "openssl \(arguments[0])") }
        }
        // A port that was free a moment ago; s_server binds it itself.
        let (probe, port) = try LoopbackSocket.listen()
        close(probe)
        self.port = port
        server = Process()
        if http2Only {
            try FileManager.default.createDirectory(atPath: directory + "/www", withIntermediateDirectories: true)
            try "hello over h2\n".write(toFile: directory + "/www/index.txt", atomically: true, encoding: .utf8)
            server.executableURL = URL(fileURLWithPath: Self.nghttpd)
            server.arguments = ["--address=127.0.0.1", "-d", "www", "\(port)", "server.key", "server.crt"]
        } else {
            server.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            server.arguments = ["s_server", "-accept", "127.0.0.1:\(port)", "-cert", "server.crt", "-key", "server.key", "-www", "-quiet"]
        }
        server.currentDirectoryURL = URL(fileURLWithPath: directory)
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        for _ in 0..<100 {
            if let probe = LoopbackSocket.connect(port: port) {
                close(probe)
                return
            }
            usleep(50_000)
        }
        kill(server.processIdentifier, SIGKILL)
        throw LoopbackSocket.Failure(call: "openssl s_server on port \(port)")
    }

    func stop() {
        // A server started from the test process does not end on SIGTERM (the signal is blocked
        // in what it inherits), so it is killed.
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
