import ArgumentParser
import RotatorCore

extension RotatorCommand {
    struct Notify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Notification channels: `notify test` sends a test message to each.",
            subcommands: [Test.self]
        )

        struct Test: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Send a test message to every notification channel of the plan.",
                discussion: """
                    Every channel gets it, whatever it subscribes to; PagerDuty gets a trigger and a \
                    resolve, so the test incident closes itself. One line per channel. Exit 0 when \
                    all took it, 1 when one did not, 64 when a credential is missing.
                    """
            )

            @OptionGroup var global: GlobalOptions

            func run() async throws {
                try Bootstrap.finish(await Bootstrap.rotator(global).notifyTest())
            }
        }
    }
}
