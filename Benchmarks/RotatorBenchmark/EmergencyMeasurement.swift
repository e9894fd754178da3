import Foundation
import RotatorEmulators
import Synchronization

/// The on-call's number: `rotate ID --emergency --revoke-old first --yes` of one token with
/// `targets` targets, at the plan's default write pacing (60 writes a minute), timed at the
/// emulators from the moment the command is confirmed (launched with `--yes`) to Envshed
/// revoking the old token (goal < 1 s) and to the last target read back with the new token
/// (goal < 10 s). Measured with and without `--emergency`'s burst (the second run keeps the
/// normal pacing: `--revoke-old after-verify`).
enum EmergencyMeasurement {
    struct Figures {
        var exitCode: Int32
        var toRevoked: Double?
        var toVerified: Double?
        var wall: Double
        var writesWithinFirstSecond: Int
    }

    static func measure(_ rotator: String, targets: Int, latency: Duration, options: BenchmarkOptions, emergency: Bool) async throws -> Figures {
        var paced = options
        paced.writesPerMinute = 60
        let world = try BenchmarkWorld(rotations: 1, targets: targets, concurrency: 1, options: paced)
        try await world.start(latency: latency)
        try world.writePlan()
        let old = world.adoptedTokenID(0)
        let events = Mutex<[(at: ContinuousClock.Instant, request: ObservedRequest)]>([])
        let emulators: [any ControllableEmulator] = [world.envshed, world.github, world.gitlab]
        for emulator in emulators {
            emulator.observe { request in
                let now = ContinuousClock.now
                events.withLock { $0.append((now, request)) }
            }
        }
        let arguments = ["rotate", "svc-0", "--reason", "benchmark", "--yes", "--config", world.planPath, "--log-format", "json"]
            + (emergency ? ["--emergency", "--revoke-old", "first"] : [])
        let launched = ContinuousClock.now
        let measured: ChildProcess.Measurement
        do {
            measured = try ChildProcess.run(rotator, arguments, environment: world.environment, directory: world.directory)
        } catch {
            await world.stop()
            throw error
        }
        let seen = events.withLock { $0 }
        await world.stop()
        func seconds(_ instant: ContinuousClock.Instant) -> Double { BenchmarkMain.seconds(launched.duration(to: instant)) }
        let revoked = seen.first { $0.request.phase == .handled && $0.request.method == "DELETE" && $0.request.path.hasSuffix(old) }
        // A read-back: GitHub's GET of a secret (not its scope's public key), GitLab's GET of a variable.
        let readBacks = seen.filter { event in
            event.request.phase == .handled && event.request.method == "GET"
                && ((event.request.path.contains("/secrets/") && !event.request.path.hasSuffix("/public-key")) || event.request.path.contains("/variables/"))
        }
        // Target writes: GitHub's and GitLab's PUT/POST, not Envshed's create (its paths name service tokens).
        let writes = seen.filter { event in
            event.request.phase == .received && ["PUT", "POST", "PATCH"].contains(event.request.method) && !event.request.path.contains("service-tokens")
        }
        let firstWrite = writes.first
        let windowStart = firstWrite?.at
        return Figures(
            exitCode: measured.exitCode, toRevoked: revoked.map { seconds($0.at) },
            toVerified: readBacks.count >= targets ? readBacks.last.map { seconds($0.at) } : nil,
            wall: BenchmarkMain.seconds(measured.wall),
            writesWithinFirstSecond: windowStart.map { start in writes.filter { $0.at >= start && $0.at <= start.advanced(by: .seconds(1)) }.count } ?? 0
        )
    }

    static func printFigures(_ title: String, _ figures: Figures, targets: Int) {
        func show(_ value: Double?) -> String { value.map { String(format: "%.3f s", $0) } ?? "never" }
        print("\(title): exit \(figures.exitCode)")
        print("  confirmation → old token revoked        \(show(figures.toRevoked))")
        print("  confirmation → all \(targets) targets verified   \(show(figures.toVerified))")
        print(String(format: "  wall time (process)                     %.3f s", figures.wall))
        print("  target writes in the first second       \(figures.writesWithinFirstSecond)\n")
    }
}
