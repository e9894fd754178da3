import ArgumentParser
import RotatorCore

extension RotatorCommand {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One row per rotation: current token, expiry, last result, next due.",
            discussion: "Reads the state only; no network."
        )

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Print one JSON document instead of a table.")
        var json = false

        func run() async throws {
            try Bootstrap.finish(Bootstrap.rotator(global).status(json: json))
        }
    }
}
