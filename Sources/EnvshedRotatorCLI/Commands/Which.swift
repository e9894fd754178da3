import ArgumentParser
import Foundation
import RotatorCore

extension RotatorCommand {
    struct Which: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "From a leaked token value to its rotation and targets (reads the value on stdin, offline).",
            discussion: """
                Reads a token value on stdin — never from the command line, where it would land in \
                the shell history and the process list — and reports the rotation, the token's id, \
                name and status, and every target that holds or may hold it, from the state alone \
                (no network). On a terminal the value is not echoed. Exit 0 when the token is known, \
                1 when it is not.

                Leaked token: envshed-rotator which < leaked.txt, then rotate ID --emergency …
                """
        )

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Print one JSON document instead of text.")
        var json = false

        /// A value given on the command line is refused without being echoed (ArgumentParser
        /// would print an unexpected argument back).
        @Argument(help: .hidden)
        var onCommandLine: [String] = []

        func validate() throws {
            guard onCommandLine.isEmpty else {
                throw ValidationError(
                    "which reads the token value on stdin, never from the command line (it would stay in the shell history and the process list): envshed-rotator which < file"
                )
            }
        }

        func run() async throws {
            let rotator = Bootstrap.rotator(global)
            try Bootstrap.finish(rotator.which(SecretInput.read(), json: json))
        }
    }
}
