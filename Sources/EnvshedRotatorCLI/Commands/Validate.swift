import ArgumentParser
import RotatorCore

extension RotatorCommand {
    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the plan offline and report every problem as file:line:col.",
            discussion: "Touches nothing and calls nothing. Exit 0 when the plan is valid, 64 otherwise."
        )

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Treat policy warnings (org scope, read_write, expiry over 90 days) as errors.")
        var strict = false

        @Flag(help: "Skip the checks against this machine (file targets' directories and owners): for a CI runner that is not the host that runs the plan.")
        var offline = false

        func run() async throws {
            try Bootstrap.finish(Bootstrap.rotator(global).validate(strict: strict, offline: offline))
        }
    }
}
