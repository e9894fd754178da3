import ArgumentParser
import Foundation
import RotatorCore

extension RotatorCommand {
    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rotate one rotation now, whether due or not (on-call).",
            discussion: """
                Shows the blast radius (the token, its scope and permission, every target that will \
                be written, what will be revoked and when), then asks for confirmation when stdin is \
                a terminal; without a terminal it needs --yes. Then takes the same lock as `run`, \
                waiting for it (--preempt asks the holder to stop: it finishes its step and exits, \
                and this rotation rolls forward). Ctrl-C at the question or during the wait ends \
                at once, changing nothing. The reason and the invoking user go into the audit trail and the \
                notifications.

                Leaked token: rotate ID --reason "..." --emergency --revoke-old first --yes

                --emergency skips the grace period and is required for --revoke-old first \
                (revoke the old token before anything else: pipelines fail until the push \
                completes) and immediately (right after the pushes, before the read-backs; the test pull comes before any push). \
                Exit codes as `run`.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The rotation's id in the plan.", valueName: "id"))
        var id: String

        @Option(name: .long, help: ArgumentHelp("Why: recorded in the audit trail and sent with the notifications.", valueName: "text"))
        var reason: String

        @Flag(help: "Skip the grace period; allows --revoke-old first|immediately. Notified as an emergency.")
        var emergency = false

        @Option(name: .long, help: ArgumentHelp("When to revoke the old token: first, immediately or after-verify.", valueName: "mode"))
        var revokeOld: RevokeOldMode = .afterVerify

        @Flag(help: "Do not ask for confirmation (required when stdin is not a terminal).")
        var yes = false

        @Flag(help: "Print one JSON document instead of text.")
        var json = false

        @Option(name: .long, help: ArgumentHelp("Wait up to this many seconds for another run's lock before exiting 75.", valueName: "seconds"))
        var waitForLock: Int = 300

        @Flag(help: "When another run holds the lock, ask it to stop (SIGTERM: it finishes its step and exits) instead of waiting for it to end.")
        var preempt = false

        func validate() throws {
            guard waitForLock >= 0 else { throw ValidationError("--wait-for-lock must be 0 or more seconds") }
            guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw ValidationError("--reason must say why (it goes into the audit trail and the notifications)")
            }
            if revokeOld != .afterVerify && !emergency {
                throw ValidationError("--revoke-old \(revokeOld.rawValue) revokes a token that pipelines may still hold; it is allowed only with --emergency")
            }
        }

        func run() async throws {
            let rotator = Bootstrap.rotator(global)
            let request = RotateRequest(
                rotationID: id, reason: reason, emergency: emergency, revokeOld: revokeOld, assumeYes: yes, json: json,
                waitForLock: .seconds(waitForLock), preempt: preempt
            )
            try Bootstrap.finish(await rotator.rotate(request, console: TerminalConsole()))
        }
    }
}

extension RevokeOldMode: ExpressibleByArgument {}
