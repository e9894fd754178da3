import Foundation
import Testing
@testable import RotatorCore

/// The state directory must be the one journal every command reads, and nobody else's to change
/// (issue 10, item 4): a fixed default instead of the working directory, refused when another
/// user owns it or can write to it, and no symbolic link followed to the lock or the database.
@Suite("State directory: one default, owned by the user, no symlinks")
struct StateDirectorySafetyTests {
    private func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        return path
    }

    @Test("without --state-dir, state_dir and $STATE_DIRECTORY the default is /var/lib/envshed-rotator, never the working directory")
    func defaultIsFixed() {
        #expect(StatePaths.directory(commandLine: nil, plan: nil, environment: [:]) == "/var/lib/envshed-rotator")
        #expect(StatePaths.directory(commandLine: nil, plan: nil, environment: ["STATE_DIRECTORY": "/srv/a:/srv/b"]) == "/srv/a")
        #expect(StatePaths.directory(commandLine: "/x", plan: nil, environment: ["STATE_DIRECTORY": "/srv/a"]) == "/x")
    }

    @Test("a state directory writable by group or others is refused by the lock and the store, and nothing is created in it")
    func groupWritableRefused() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        chmod(directory, 0o770)
        await #expect(throws: RunLockError.self) { _ = try await RunLock.acquire(directory: directory, command: "run") }
        do {
            _ = try SQLiteStateStore(directory: directory)
            Issue.record("a group-writable state directory was opened")
        } catch {
            #expect(error.reason.contains("writable by group or others"), "\(error)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test("root may use a directory the service user owns and hands every file back to that owner; anyone else is refused")
    func otherOwner() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Changing the owner needs root; as another user, the ownership rule is checked by the
        // integration test that runs the binary under setpriv.
        let serviceUser: uid_t = 4242
        guard geteuid() == 0, chown(directory, serviceUser, serviceUser) == 0 else { return }
        let lock = try await RunLock.acquire(directory: directory, command: "rotate")
        _ = try SQLiteStateStore(directory: directory)
        StatePaths.handBack(directory)
        withExtendedLifetime(lock) {}
        for entry in try FileManager.default.contentsOfDirectory(atPath: directory) {
            var info = stat()
            #expect(lstat(directory + "/" + entry, &info) == 0 && info.st_uid == serviceUser && info.st_gid == serviceUser, "\(entry) still belongs to root")
        }
    }

    @Test("a lock or a database that is a symbolic link is refused, and the file it points to is untouched")
    func symlinksRefused() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let victim = directory + "-victim"
        try Data("keep me\n".utf8).write(to: URL(fileURLWithPath: victim))
        defer { try? FileManager.default.removeItem(atPath: victim) }

        try FileManager.default.createSymbolicLink(atPath: directory + "/" + RunLock.fileName, withDestinationPath: victim)
        do {
            _ = try await RunLock.acquire(directory: directory, command: "run")
            Issue.record("took a lock through a symbolic link")
        } catch {
            #expect("\(error)".contains("symbolic link"), "\(error)")
        }
        try FileManager.default.createSymbolicLink(atPath: directory + "/" + SQLiteStateStore.fileName, withDestinationPath: victim)
        #expect(throws: StateError.self) { _ = try SQLiteStateStore(directory: directory) }
        #expect(throws: StateError.self) { _ = try SQLiteStateStore.openIfExists(directory: directory) }
        try FileManager.default.removeItem(atPath: directory + "/" + SQLiteStateStore.fileName)
        try FileManager.default.createSymbolicLink(atPath: directory + "/" + SQLiteStateStore.fileName + "-wal", withDestinationPath: victim)
        #expect(throws: StateError.self) { _ = try SQLiteStateStore(directory: directory) }
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me\n")
    }
}
