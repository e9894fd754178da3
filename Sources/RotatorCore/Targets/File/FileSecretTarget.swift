import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file on this machine, for agents that read their token from disk. Written atomically with
/// the declared mode and owner (`AtomicFileWriter`), exactly the token with no trailing newline,
/// then the optional `then:` command runs; verified by reading the file back.
struct FileSecretTarget: SecretTarget {
    let target: Target
    let destination: FileDestination
    let runner: CommandRunner

    init(target: Target, destination: FileDestination, runner: CommandRunner) {
        self.target = target
        self.destination = destination
        self.runner = runner
    }

    func push(_ value: Secret, logger: Logger) async throws(TargetError) -> PushReceipt {
        let startedAt = Date()
        let ownership: FileOwnership?
        do {
            ownership = try destination.owner.map { owner throws(FileOwnershipError) in try FileOwnership.resolve(owner) }
        } catch {
            throw failure("resolve owner", "owner \(destination.owner ?? ""): \(error.reason)")
        }
        let existed = FileManager.default.fileExists(atPath: destination.path)
        let digest = value.withRevealed { SHA256Digest.hex(of: Array($0.utf8)) }
        do {
            try AtomicFileWriter.write(value.withRevealed { Array($0.utf8) }, to: destination.path, mode: mode_t(destination.mode), ownership: ownership)
        } catch {
            var problem = failure("write file", "\(error)", hint: Self.hint(for: error))
            problem.mayHaveWritten = error.landed
            throw problem
        }
        logger.debug("file written", metadata: [LogKeys.target: "\(target.label)", "file.mode": "\(String(destination.mode, radix: 8))"])
        if !destination.then.isEmpty {
            do {
                try await runner.run(destination.then)
            } catch {
                // The file already holds the new token: the target must be counted as holding it.
                var problem = failure("run then-command", "\(error)")
                problem.mayHaveWritten = true
                throw problem
            }
        }
        return PushReceipt(startedAt: startedAt, created: !existed, valueDigest: digest)
    }

    func verify(_ receipt: PushReceipt, logger: Logger) async throws(TargetError) -> TargetObservation {
        let operation = "read back file"
        var info = stat()
        guard lstat(destination.path, &info) == 0 else {
            throw failure(operation, "cannot stat \(destination.path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw failure(operation, "\(destination.path) is no longer a regular file")
        }
        let mode = UInt16(info.st_mode & 0o7777)
        guard mode == destination.mode else {
            throw failure(operation, "\(destination.path) has mode \(String(mode, radix: 8)), not the declared \(String(destination.mode, radix: 8))")
        }
        if let owner = destination.owner, let ownership = try? FileOwnership.resolve(owner) {
            if info.st_uid != ownership.userID || (ownership.groupID.map { info.st_gid != $0 } ?? false) {
                throw failure(operation, "\(destination.path) is owned by \(info.st_uid):\(info.st_gid), not \(owner)")
            }
        }
        guard let data = FileManager.default.contents(atPath: destination.path) else {
            throw failure(operation, "cannot read \(destination.path)")
        }
        guard SHA256Digest.hex(of: Array(data)) == receipt.valueDigest else {
            throw failure(operation, "\(destination.path) does not hold the token just written (another writer?)")
        }
        let modified = Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
        return TargetObservation(updatedAt: modified)
    }

    private func failure(_ operation: String, _ message: String, hint: String? = nil) -> TargetError {
        TargetError(provider: .file, target: target.label, operation: operation, message: Redactor.scrub(message), hint: hint)
    }

    private static func hint(for error: FileWriteError) -> String? {
        if error.reason.lowercased().contains("permission") || error.reason.lowercased().contains("not permitted") {
            return "the bot's user cannot write there or change the owner; under systemd add the directory to ReadWritePaths= (and CAP_CHOWN for owner:)"
        }
        return nil
    }
}
