import Foundation
@testable import RotatorCore
import Testing

/// SPEC I4, one writer at a time, tested with the lock itself rather than through the binary.
@Suite("Run lock")
struct RunLockTests {
    static func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rotator-lock-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("A second acquire fails while the lock is held, and names the holder: pid, start and command")
    func secondAcquireNamesHolder() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let held = try await RunLock.acquire(directory: directory, command: "run")
        do {
            _ = try await RunLock.acquire(directory: directory, command: "rotate")
            Issue.record("a second acquire succeeded while the lock was held")
        } catch {
            guard case .held(let path, let holder) = error else {
                Issue.record("expected .held, got \(error)")
                return
            }
            #expect(path == directory + "/" + RunLock.fileName)
            #expect(holder.contains("pid=\(getpid())"), "\(holder)")
            #expect(holder.contains("command=run"), "\(holder)")
            #expect(holder.contains("started="), "\(holder)")
            #expect("\(error)".contains(holder))
        }
        withExtendedLifetime(held) {}
    }

    @Test("Released when its holder lets go: the next acquire succeeds and writes its own record")
    func releasedOnClose() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var first: RunLock? = try await RunLock.acquire(directory: directory, command: "run")
        #expect(first != nil)
        first = nil
        let second = try await RunLock.acquire(directory: directory, command: "rotate")
        let record = try String(contentsOfFile: second.path, encoding: .utf8)
        #expect(record.contains("command=rotate"))
        #expect(!record.contains("command=run"))
        #expect(record.utf8.count == RunLock.ownerRecordSize)
    }

    @Test("acquire waits up to its limit for a holder that lets go meanwhile")
    func waitsForTheHolder() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let holder = LockBox(try await RunLock.acquire(directory: directory, command: "run"))
        let release = Task {
            try await Task.sleep(for: .milliseconds(300))
            holder.release()
        }
        let second = try await RunLock.acquire(directory: directory, command: "rotate", wait: .seconds(10))
        #expect(try String(contentsOfFile: second.path, encoding: .utf8).contains("command=rotate"))
        try await release.value
    }
}

/// Holds a lock until `release`, from another task.
private final class LockBox: @unchecked Sendable {
    private var lock: RunLock?
    private let guardLock = NSLock()

    init(_ lock: RunLock) { self.lock = lock }

    func release() {
        guardLock.withLock { lock = nil }
    }
}
