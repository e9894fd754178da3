import ArgumentParser
import RotatorCore

extension RotatorCommand {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One row per rotation: current token, expiry, last result, next due.",
            discussion: """
                Reads the state only; no network. With --drift, also reads every target back and \
                Envshed's token list (GET requests only) and reports targets changed by someone else \
                since the bot's last verified write, tokens no rotation manages that expire within \
                defaults.warn_before_days, and tokens the bot created that are live but not current. \
                A report only: it changes nothing.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Print one JSON document instead of a table.")
        var json = false

        @Flag(help: "Also read every target back and report drift (needs the network and the credentials).")
        var drift = false

        func run() async throws {
            try Bootstrap.finish(await Bootstrap.rotator(global).status(json: json, drift: drift))
        }
    }
}
