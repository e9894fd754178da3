import Foundation
import RotatorEmulators
import Testing

/// The 3 a.m. path: `rotate` shows the blast radius before it takes the lock; Ctrl-C during the
/// lock wait or at the question ends it at once, changing nothing; `--preempt` stops the nightly
/// run (SIGTERM: it finishes its step and exits) and rolls its rotation forward.
@Suite("On-call path: blast radius first, Ctrl-C, --preempt (real binary)", .serialized, .timeLimit(.minutes(5)))
struct OnCallPathTests {
    static let rotate = ["rotate", "api-production-ci", "--reason", "token pasted in a chat", "--emergency", "--yes"]

    /// Waits until `condition` holds (at most 20 s).
    private func until(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now.advanced(by: .seconds(20))
        while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }

    @Test("the blast radius comes before the lock wait; Ctrl-C (SIGINT) in the wait exits 75 at once, changing nothing")
    func interruptTheWait() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 20)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            try FileManager.default.createDirectory(atPath: world.stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let holder = try LockHolder(path: world.stateDirectory + "/lock", pid: 4242)
            defer { holder.release() }

            let waiting = try world.startRotator(Self.rotate + ["--wait-for-lock", "120"])
            // The blast radius needs Envshed's list: once it was answered, the rotate is at the lock.
            try await until { world.envshed.requests.contains { $0.method == "GET" } }
            try await Task.sleep(for: .milliseconds(500))
            let signalled = ContinuousClock.now
            kill(waiting.pid, SIGINT)
            let stopped = try await waiting.wait(deadline: .seconds(10))
            let took = signalled.duration(to: .now)
            #expect(stopped.exitCode == 75, "\(stopped.all)")
            #expect(took < .seconds(3), "Ctrl-C must end the wait at once, took \(took)")
            let messages = stopped.stderrMessages
            let radius = try #require(messages.range(of: "writes:   github:acme/api/ENVSHED_TOKEN"), "\(messages)")
            let wait = try #require(messages.range(of: "waiting for the nightly run (pid 4242) to finish"), "\(messages)")
            #expect(radius.lowerBound < wait.lowerBound, "the blast radius before the lock wait: \(messages)")
            #expect(messages.contains("interrupted (SIGINT)") && messages.contains("nothing was changed"), "\(messages)")
            #expect(world.writeRequests.isEmpty, "\(world.writeRequests.map { "\($0.method) \($0.path)" })")
            #expect(world.envshed.token(id: old.id)?.isLive == true)
            #expect(!FileManager.default.fileExists(atPath: world.stateDirectory + "/audit.jsonl"), "nothing recorded either")
        }
    }

    @Test("--preempt: the nightly run is asked to stop mid-push, finishes its step, and rotate rolls the rotation forward")
    func preemptTheNightlyRun() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 3)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            // The nightly run's pushes are slow (5 s, longer than a loaded machine takes to start the
            // on-call's rotate): it is inside its first PUT when the on-call arrives.
            world.github.inject(.delay(.seconds(5), method: "PUT", times: 2))
            let nightly = try world.startRotator(["run"])
            try await until { world.events.contains { $0.host == .github && $0.request.method == "PUT" } }

            let rotated = try await world.rotator(Self.rotate + ["--preempt", "--wait-for-lock", "60"])
            let stopped = try await nightly.wait()
            #expect(rotated.exitCode == 0, "\(rotated.all)")
            // Stopped before it finished: its rotation failed, and the old token expires in 3 days,
            // within warn_before_days, so the run exits 3 (SPEC §1: page someone), not 1.
            #expect(stopped.exitCode == 3, "the nightly run stopped early: \(stopped.all)")
            #expect(stopped.stderrMessages.contains("stop requested; finishing the current step"), "\(stopped.stderr)")
            #expect(rotated.stderrMessages.contains("--preempt: asked the nightly run (pid \(nightly.pid)) to stop (SIGTERM)"), "\(rotated.stderr)")

            // Converged: both secrets hold one live token, neither the adopted one nor dead.
            let repo = try #require(world.token(withValue: world.githubSecret("acme/api")))
            #expect(world.githubSecret("acme/api", environment: "production") == repo.value)
            #expect(repo.isLive && repo.id != old.id)
            #expect(world.envshed.token(id: old.id)?.revokedAt != nil)
            let after = try await world.rotator(["run", "--only", "api-production-ci"])
            #expect(after.exitCode == 0, "\(after.all)")
            #expect(world.token(withValue: world.githubSecret("acme/api"))?.id == repo.id, "nothing left to do")
            try world.expectNoSecretsLeaked([rotated, stopped, after])
        }
    }

    @Test("--preempt never signals a process that is not an envshed-rotator: it waits instead")
    func preemptOnlyRotators() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 20)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            try FileManager.default.createDirectory(atPath: world.stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            // A record naming a live process that is not a rotator: `sleep`, which SIGTERM would kill.
            let bystander = Process()
            bystander.executableURL = URL(fileURLWithPath: "/bin/sleep")
            bystander.arguments = ["30"]
            try bystander.run()
            defer { bystander.terminate() }
            let holder = try LockHolder(path: world.stateDirectory + "/lock", pid: Int(bystander.processIdentifier))
            defer { holder.release() }
            let gaveUp = try await world.rotator(Self.rotate + ["--preempt", "--wait-for-lock", "1"])
            #expect(gaveUp.exitCode == 75, "\(gaveUp.all)")
            #expect(gaveUp.stderrMessages.contains("is not an envshed-rotator process"), "\(gaveUp.stderr)")
            #expect(bystander.isRunning, "the bystander was signalled")
            #expect(world.writeRequests.isEmpty)
        }
    }

    @Test("Ctrl-C at the question (a real pty): exits at once with 1, nothing written, nothing recorded",
          .enabled(if: TerminalSession.script != nil || SystemdTools.required))
    func interruptThePrompt() async throws {
        try await Scenario.with { world in
            let old = world.seedToken(expiresInDays: 20)
            try world.writePlan(world.standardPlan(adoptProduction: old.id))
            // ^C typed at the terminal: the line discipline sends SIGINT to the foreground process.
            let started = ContinuousClock.now
            let result = try await TerminalSession.run(
                ["rotate", "api-production-ci", "--reason", "key seen in a screenshot", "--emergency", "--config", world.planPath],
                environment: ["ENVSHED_TOKEN": world.adminToken, "GITHUB_TOKEN": world.githubToken, "USER": "oncall-carol"],
                in: world.directory, answering: "\u{03}", after: ConfirmationPromptTests.prompt, timeout: .seconds(30)
            )
            #expect(started.duration(to: .now) < .seconds(20), "the question must not wait for Enter after ^C")
            // 1 from the rotator; 130 if the shell `script` started also took the SIGINT.
            #expect(result.exitCode == 1 || result.exitCode == 130, "\(result.transcript)")
            #expect(result.transcript.contains("interrupted (SIGINT)"), "\(result.transcript)")
            #expect(result.transcript.contains("nothing was changed"))
            #expect(world.writeRequests.isEmpty, "\(world.writeRequests.map { "\($0.method) \($0.path)" })")
            #expect(world.envshed.token(id: old.id)?.isLive == true)
            #expect(!FileManager.default.fileExists(atPath: world.stateDirectory + "/audit.jsonl"))
        }
    }
}
