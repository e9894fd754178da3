import ArgumentParser
import RotatorCore

extension RotatorCommand {
    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Dry run: show what `run` would do now, and why.",
            discussion: """
                For each rotation: the current token and its expiry, whether it is due and why, the \
                name the new token would get, the targets it would write and what would be revoked. \
                Reads the state and Envshed's token list; writes nothing anywhere. Also checks that \
                the user that will run the plan (--run-as, default: you) can write the state \
                directory, the metrics file and every file target; exit 64 when it cannot. With \
                --rbac: only the Kubernetes Roles the plan's targets need, as YAML, offline.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: ArgumentHelp("Only this rotation (repeatable).", valueName: "id"))
        var only: [String] = []

        @Flag(help: "Print one JSON document instead of text.")
        var json = false

        @Flag(help: "Print the Kubernetes Roles (RBAC) the plan's targets need, as YAML, and nothing else. Offline.")
        var rbac = false

        @Option(name: .long, help: ArgumentHelp("Check the host's paths as this user (name or uid), the one that will run the plan.", valueName: "user"))
        var runAs: String?

        func run() async throws {
            if rbac {
                return try Bootstrap.finish(Bootstrap.rotator(global).rbac(only: only))
            }
            try Bootstrap.finish(await Bootstrap.rotator(global).plan(only: only, json: json, runAs: runAs))
        }
    }
}
