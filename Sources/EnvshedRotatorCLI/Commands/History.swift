import ArgumentParser
import RotatorCore

extension RotatorCommand {
    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The audit trail, newest first.",
            discussion: "Reads audit.jsonl in the state directory; no network. With an id, only that rotation's records and the runs that included it."
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("Only this rotation.", valueName: "id"))
        var id: String?

        @Option(name: .long, help: ArgumentHelp("At most this many records.", valueName: "n"))
        var limit: Int?

        @Flag(help: "Print one JSON document instead of text.")
        var json = false

        func validate() throws {
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run() async throws {
            try Bootstrap.finish(Bootstrap.rotator(global).history(rotationID: id, json: json, limit: limit))
        }
    }
}
