import Foundation
import Logging
import Testing

@testable import RotatorCore

@Suite("File target: atomic write")
struct AtomicFileWriterTests {
    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("content and mode are exactly as declared, whatever the umask, and no temporary file is left", arguments: [0o600, 0o640, 0o400] as [UInt16])
    func writesAtomically(mode: UInt16) throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/token"
        let previous = umask(0o077)
        defer { umask(previous) }
        try AtomicFileWriter.write(Array("first".utf8), to: path, mode: mode_t(0o600), ownership: nil)
        try AtomicFileWriter.write(Array("envshed_svc_second".utf8), to: path, mode: mode_t(mode), ownership: nil)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "envshed_svc_second")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == Int(mode))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["token"])
    }

    @Test("a write that cannot happen leaves the old file and no temporary file")
    func failureLeavesOldFile() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/token"
        try AtomicFileWriter.write(Array("old".utf8), to: path, mode: mode_t(0o600), ownership: nil)
        // The destination is a non-empty directory: rename(2) fails after the temp file was written.
        let blocked = directory + "/blocked"
        try FileManager.default.createDirectory(atPath: blocked + "/inside", withIntermediateDirectories: true)
        let error = try #require(throws: FileWriteError.self) {
            try AtomicFileWriter.write(Array("new".utf8), to: blocked, mode: mode_t(0o600), ownership: nil)
        }
        #expect(!error.landed)
        #expect(error.description.contains("rename"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["blocked", "token"])
    }

    @Test("the file target verifies content and mode, and runs then: without a shell")
    func fileTarget() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/token"
        let target = Target(
            kind: .file(FileDestination(path: path, mode: 0o600, owner: nil, then: ["touch", directory + "/$HOME"])),
            location: SourceLocation(file: "p", line: 1, column: 1)
        )
        let factory = TargetFactory(github: nil)
        let writer = try factory.make(target)
        let receipt = try await writer.push(Secret("envshed_svc_abc123"), logger: .init(label: "t"))
        #expect(receipt.created)
        #expect(FileManager.default.fileExists(atPath: directory + "/$HOME"), "the argument reached the program literally")
        _ = try await writer.verify(receipt, logger: .init(label: "t"))
        try "tampered".write(toFile: path, atomically: false, encoding: .utf8)
        let error = try await #require(throws: TargetError.self) { try await writer.verify(receipt, logger: .init(label: "t")) }
        #expect(error.description.contains("does not hold the token just written"))
    }
}
