import ArgumentParser
import RotatorCore

extension RotatorCommand {
    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the audit trail.",
            subcommands: [Verify.self]
        )

        struct Verify: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Check the audit trail's hash chain.",
                discussion: """
                    Every line of audit.jsonl must be a JSON record, seq must count up without a gap, \
                    and every prev must be the SHA-256 of the line before. Exit 0 when the chain is \
                    intact, 1 naming the first bad record (line number and why).
                    """
            )

            @OptionGroup var global: GlobalOptions

            func run() async throws {
                try Bootstrap.finish(Bootstrap.rotator(global).verifyAudit())
            }
        }
    }
}
