import ArgumentParser
import RotatorCore

extension RotatorCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rotate every rotation that is due (the nightly job).",
            discussion: """
                Create → push to every target → verify → revoke the old token, per rotation. A \
                failure leaves the old token valid and exits 1 (3 when it expires within \
                warn_before_days). One line per step goes to stderr.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: ArgumentHelp("Only this rotation (repeatable).", valueName: "id"))
        var only: [String] = []

        @Option(name: .long, help: ArgumentHelp("Wait up to this many seconds for another run's lock instead of exiting 75.", valueName: "seconds"))
        var waitForLock: Int = 0

        @Flag(help: "Print one JSON document instead of text.")
        var json = false

        func validate() throws {
            guard waitForLock >= 0 else { throw ValidationError("--wait-for-lock must be 0 or more seconds") }
        }

        func run() async throws {
            let rotator = Bootstrap.rotator(global)
            try Bootstrap.finish(await rotator.run(only: only, json: json, waitForLock: .seconds(waitForLock)))
        }
    }
}
