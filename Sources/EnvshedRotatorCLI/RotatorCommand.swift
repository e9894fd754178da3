import ArgumentParser

/// `envshed-rotator`: the root command. Subcommands parse, build the environment and hand off to
/// one `Rotator` method in RotatorCore.
@main
struct RotatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "envshed-rotator",
        abstract: "Rotate Envshed service tokens and push them to CI secret stores without an outage.",
        discussion: """
            Reads a YAML rotation plan. For every rotation that is due it creates a replacement \
            token, pushes it to every target, verifies a test pull and every target, and only then \
            revokes the old token. A failure leaves the old token valid.

            Start with `envshed-rotator demo` (no credentials needed), then `validate` and `plan` \
            against your own plan.

            Exit codes: 0 ok; 1 a rotation failed (old token still valid); 3 a token expires \
            within its warning window and could not be rotated; 64 usage or plan error (nothing \
            touched); 75 another run holds the lock.
            """,
        version: "0.1.0",
        subcommands: [Validate.self, Plan.self, Run.self, Rotate.self, Which.self, Notify.self, Status.self, History.self, Audit.self, Demo.self]
    )
}
