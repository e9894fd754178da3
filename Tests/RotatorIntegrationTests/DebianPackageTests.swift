import Foundation
import Testing

/// `scripts/package-deb` (docs/packaging.md): the package it builds installs a binary that runs
/// without Swift, the example plan validates with it, the man page is there, and the packaged
/// units load in `systemd-analyze verify`.
///
/// The script builds a release binary with the Swift runtime linked in: minutes on 2 cores, so the
/// time limit is long; `ENVSHED_ROTATOR_RELEASE_BINARY=PATH` makes it package a binary built that
/// way before. A release build doubles the time of the whole suite, so it runs only when asked:
/// `ENVSHED_ROTATOR_PACKAGE_TEST=1 swift test --filter DebianPackageTests` (or with
/// `ENVSHED_ROTATOR_RELEASE_BINARY` set); then a missing dpkg-deb fails it instead of skipping.
@Suite(
    "Debian package",
    .enabled(if: DebTools.requested),
    .timeLimit(.minutes(60))
)
struct DebianPackageTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs a program to its end, its output in files (a build writes more than a pipe holds); a
    /// deadline kills it so that a hang fails instead of blocking.
    static func run(_ program: String, _ arguments: [String], in directory: URL? = nil, deadline: Duration = .seconds(60)) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var environment = ProcessInfo.processInfo.environment
        environment["SYSTEMD_LOG_COLOR"] = "0"
        environment["SYSTEMD_COLORS"] = "0"
        process.environment = environment
        let outputs = FileManager.default.temporaryDirectory.appendingPathComponent("deb-output-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outputs) }
        let outURL = outputs.appendingPathComponent("stdout")
        let errURL = outputs.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let timer = ToolDeadline(process, deadline: deadline)
        process.waitUntilExit()
        timer.disarm()
        try out.close()
        try err.close()
        return Output(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        )
    }

    @Test("the package builds, its binary runs --version and validate, and its units verify")
    func packageRoundTrip() throws {
        let dpkgDeb = try #require(DebTools.dpkgDeb, "dpkg-deb is not installed (Debian: apt-get install dpkg)")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("deb-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        // At a low priority: the release build must not starve the timing-sensitive tests that
        // run beside it.
        let build = try Self.run(
            "/usr/bin/nice", ["-n", "10", Self.repositoryRoot.appendingPathComponent("scripts/package-deb").path, "--output", scratch.path],
            in: Self.repositoryRoot, deadline: .seconds(55 * 60)
        )
        try #require(build.status == 0, "scripts/package-deb failed:\n\(build.stderr.suffix(4000))")
        let deb = build.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(deb.hasSuffix(".deb") && FileManager.default.fileExists(atPath: deb), "it prints the package's path: \(deb)")

        // The control fields: Depends names the libraries the binary links, and no Swift runtime.
        let fields = try Self.run(dpkgDeb, ["-f", deb, "Package", "Version", "Depends"])
        #expect(fields.status == 0, "\(fields.stderr)")
        #expect(fields.stdout.contains("Package: envshed-rotator"))
        #expect(fields.stdout.contains("Version: 0.1.0"))
        for library in ["libsodium23", "libcurl4", "libsqlite3-0", "libc6"] {
            #expect(fields.stdout.contains(library), "Depends: lacks \(library):\n\(fields.stdout)")
        }
        #expect(!fields.stdout.lowercased().contains("swift"), "the Swift runtime is linked in:\n\(fields.stdout)")

        // Every file belongs to root, the binary is executable.
        let listing = try Self.run(dpkgDeb, ["-c", deb])
        #expect(listing.status == 0)
        let entries = listing.stdout.split(separator: "\n")
        #expect(entries.allSatisfy { $0.contains(" root/root ") }, "\(listing.stdout)")
        #expect(entries.contains { $0.hasPrefix("-rwxr-xr-x") && $0.hasSuffix("./usr/bin/envshed-rotator") }, "\(listing.stdout)")
        for path in [
            "./lib/systemd/system/envshed-rotator.service", "./lib/systemd/system/envshed-rotator.timer",
            "./lib/systemd/system/envshed-rotator-failure@.service", "./usr/share/doc/envshed-rotator/config.example.yaml",
            "./usr/share/doc/envshed-rotator/copyright", "./usr/share/man/man1/envshed-rotator.1.gz",
        ] {
            #expect(entries.contains { $0.hasSuffix(path) }, "the package lacks \(path)")
        }

        // Extracted, the binary runs on its own.
        let root = scratch.appendingPathComponent("root")
        let extract = try Self.run(dpkgDeb, ["-x", deb, root.path])
        try #require(extract.status == 0, "\(extract.stderr)")
        let binary = root.appendingPathComponent("usr/bin/envshed-rotator").path
        let version = try Self.run(binary, ["--version"])
        #expect(version.status == 0, "\(version.stderr)")
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
        let ldd = try Self.run("/usr/bin/ldd", [binary])
        #expect(!ldd.stdout.contains("libswift"), "the Swift runtime is linked dynamically:\n\(ldd.stdout)")

        let example = root.appendingPathComponent("usr/share/doc/envshed-rotator/config.example.yaml").path
        let validate = try Self.run(binary, ["validate", "--config", example], in: scratch)
        #expect(validate.status == 0, "validate of the packaged example plan:\n\(validate.stdout)\(validate.stderr)")
        #expect(validate.stdout.contains("OK"), "\(validate.stdout)")

        // The man page: roff from --help, with every subcommand.
        let man = try Self.run("/bin/gzip", ["-dc", root.appendingPathComponent("usr/share/man/man1/envshed-rotator.1.gz").path])
        #expect(man.status == 0)
        #expect(man.stdout.contains(".TH"), "not a man page:\n\(man.stdout.prefix(500))")
        for subcommand in ["validate", "plan", "run", "rotate", "status", "history", "audit"] {
            #expect(man.stdout.lowercased().contains("envshed-rotator \(subcommand)"), "the man page lacks \(subcommand)")
        }

        // The packaged units, run against the extracted binary: verify wants ExecStart= to exist.
        let units = root.appendingPathComponent("lib/systemd/system")
        let service = try String(contentsOf: units.appendingPathComponent("envshed-rotator.service"), encoding: .utf8)
        #expect(service.contains("ExecStart=/usr/bin/envshed-rotator run "), "the packaged unit runs the packaged binary")
        #expect(!service.contains("/usr/local/bin"), "no path of a source install is left")
        #expect(service.contains("OnFailure=envshed-rotator-failure@%n.service"))
        try service.replacingOccurrences(of: "ExecStart=/usr/bin/envshed-rotator", with: "ExecStart=\(binary)")
            .write(to: units.appendingPathComponent("envshed-rotator.service"), atomically: true, encoding: .utf8)
        let analyze = try #require(SystemdTools.analyze, "systemd-analyze is not installed (Debian: apt-get install systemd)")
        let names = ["envshed-rotator.service", "envshed-rotator.timer", "envshed-rotator-failure@.service"]
        let verify = try Self.run(analyze, ["verify"] + names.map { units.appendingPathComponent($0).path })
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let complaints = (verify.stdout + verify.stderr).split(separator: "\n").filter { $0.contains("envshed-rotator") }
        #expect(complaints.isEmpty, "systemd-analyze verify complained:\n\(verify.stdout)\(verify.stderr)")
    }
}

/// Where dpkg-deb is (outside the suite: its trait cannot read the suite's own members).
enum DebTools {
    /// The suite runs only when asked for (a release build takes as long as the rest of the suite).
    static let requested = ["ENVSHED_ROTATOR_PACKAGE_TEST", "ENVSHED_ROTATOR_RELEASE_BINARY"].contains {
        !(ProcessInfo.processInfo.environment[$0] ?? "").isEmpty
    }
    static let dpkgDeb = ["/usr/bin/dpkg-deb", "/bin/dpkg-deb"].first { FileManager.default.isExecutableFile(atPath: $0) }
}
