import ArgumentParser
import Logging
import RotatorCore

/// Options every command takes (SPEC §3).
struct GlobalOptions: ParsableArguments {
    @Option(name: [.customShort("c"), .long], help: ArgumentHelp(
        "The rotation plan.",
        discussion: "Default: $ENVSHED_ROTATOR_CONFIG, else /etc/envshed-rotator/plan.yaml.",
        valueName: "path"
    ))
    var config: String?

    @Option(name: .long, help: ArgumentHelp(
        "Where the state database and the lock live.",
        discussion: "Default: the plan's state_dir, else $STATE_DIRECTORY (systemd), else /var/lib/envshed-rotator. It must be owned by you and writable by nobody else.",
        valueName: "path"
    ))
    var stateDir: String?

    @Option(name: .long, help: "Log line format on stderr: text or json. Default: text on a terminal, json otherwise.")
    var logFormat: LogFormat?

    @Option(name: .long, help: "Least severe log level shown: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info
}

extension LogFormat: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}
