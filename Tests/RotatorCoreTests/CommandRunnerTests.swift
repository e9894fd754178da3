import Foundation
@testable import RotatorCore
import Testing

/// `then:` commands run under the run's lock: whatever the command does, the runner must come back
/// by its deadline plus the grace. Real child processes (`sh -c`), short deadlines.
@Suite("then: commands cannot hang the run", .timeLimit(.minutes(1)))
struct CommandRunnerTests {
    static let runner = CommandRunner(timeout: .milliseconds(300), killGrace: .milliseconds(700))

    /// Runs `script` with `sh -c`; returns the failure, if any, and how long it took.
    static func run(_ script: String, runner: CommandRunner = runner) async -> (CommandFailure?, Duration) {
        let started = ContinuousClock.now
        do {
            try await runner.run(["sh", "-c", script])
            return (nil, started.duration(to: .now))
        } catch {
            return (error, started.duration(to: .now))
        }
    }

    static func temporaryFile() -> String {
        NSTemporaryDirectory() + "/envshed-rotator-command-\(UUID().uuidString)"
    }

    /// Ends a process a test left behind (one that escaped the command's process group).
    static func killLeftover(pidFile: String) {
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return }
        kill(pid, SIGKILL)
    }

    @Test("a command that finishes in time succeeds; a failing one reports its status and stderr")
    func ordinaryEndings() async {
        let (success, _) = await Self.run("exit 0")
        #expect(success == nil)
        let (failure, _) = await Self.run("echo 'reload refused' >&2; exit 3")
        #expect(failure?.description == "`sh -c echo 'reload refused' >&2; exit 3` exited with status 3; stderr: reload refused")
    }

    @Test("at the deadline the command gets SIGTERM, and the timeout says so")
    func timeoutIsReported() async throws {
        let (failure, took) = await Self.run("sleep 20")
        let description = try #require(failure?.description)
        #expect(description == "`sh -c sleep 20` did not finish within 0.3 s and was stopped with SIGTERM", "\(description)")
        #expect(took < .seconds(3), "\(took)")
    }

    @Test("a command that ignores SIGTERM is killed with SIGKILL after the grace")
    func ignoredTerminationIsKilled() async throws {
        // `trap "" TERM` makes the shell and the sleep it starts ignore SIGTERM.
        let (failure, took) = await Self.run("trap '' TERM; sleep 20; sleep 20")
        let description = try #require(failure?.description)
        #expect(description.contains("did not finish within 0.3 s, ignored SIGTERM for 0.7 s and was killed with SIGKILL"), "\(description)")
        #expect(took >= .milliseconds(1_000) && took < .seconds(4), "\(took)")
    }

    @Test("the default grace between SIGTERM and SIGKILL is 10 seconds")
    func defaultGrace() {
        #expect(CommandRunner().killGrace == .seconds(10))
    }

    @Test("a background grandchild does not keep the runner waiting after the command exits")
    func backgroundGrandchildAfterExit() async {
        let pidFile = Self.temporaryFile()
        defer { Self.killLeftover(pidFile: pidFile) }
        let (failure, took) = await Self.run("setsid sleep 20 & echo $! > \(pidFile); echo started >&2; exit 0")
        #expect(failure == nil)
        #expect(took < .seconds(3), "\(took)")
    }

    @Test("a grandchild that left the process group and holds stderr does not hang a timed-out command")
    func escapedGrandchildAtTimeout() async throws {
        let pidFile = Self.temporaryFile()
        defer { Self.killLeftover(pidFile: pidFile) }
        let (failure, took) = await Self.run("setsid sleep 20 & echo $! > \(pidFile); sleep 20")
        #expect(try #require(failure).reason.contains("was stopped with SIGTERM"))
        #expect(took < .seconds(3), "\(took)")
    }

    @Test("the command leads its own process group")
    func ownProcessGroup() async {
        let (failure, _) = await Self.run(#"read pid comm state ppid pgrp rest < /proc/$$/stat; [ "$pid" = "$pgrp" ] || { echo "group $pgrp, not $pid" >&2; exit 1; }"#)
        #expect(failure == nil, "\(failure?.description ?? "")")
    }

    @Test("the command starts with default signal dispositions even when the bot ignores SIGPIPE")
    func defaultSignalDispositions() async {
        // Swift servers commonly ignore SIGPIPE, and an ignored signal survives exec.
        let previousPipe = signal(SIGPIPE, SIG_IGN)
        let previousUser1 = signal(SIGUSR1, SIG_IGN)
        defer {
            signal(SIGPIPE, previousPipe)
            signal(SIGUSR1, previousUser1)
        }
        // SigIgn is the hex mask of ignored signals: SIGPIPE (13) is 0x1000, SIGUSR1 (10) 0x200.
        let (failure, _) = await Self.run(#"mask=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/self/status); [ $(( 0x$mask & 0x1200 )) -eq 0 ] || { echo "ignored: $mask" >&2; exit 1; }"#)
        #expect(failure == nil, "\(failure?.description ?? "")")
    }
}
