import ArgumentParser
import Foundation
import Logging
import RotatorCore
import Synchronization

/// The composition root: the only place that bootstraps logging and reads the process
/// environment, then builds the `Rotator` a command calls.
enum Bootstrap {
    /// The stderr writer every line of this process goes through, set by `rotator(_:)`.
    private static let writer = Mutex<StderrWriter?>(nil)

    /// stderr as the process's options and environment make it: the `--log-format` (text on a
    /// terminal, JSON otherwise) and `<N>` priorities when stderr is the journal (SPEC §6).
    static var stderr: StderrWriter {
        writer.withLock { current in
            if let current { return current }
            let made = StderrWriter(format: isatty(STDERR_FILENO) == 1 ? .text : .json, syslogPriorities: stderrIsJournal)
            current = made
            return made
        }
    }

    private static var stderrIsJournal: Bool {
        JournalStream.isJournal(STDERR_FILENO, value: ProcessInfo.processInfo.environment["JOURNAL_STREAM"])
    }

    static func rotator(_ options: GlobalOptions) -> Rotator {
        // Nothing this process writes (state, lock, temporary files) is for anyone else.
        umask(0o077)
        let format = options.logFormat ?? (isatty(STDERR_FILENO) == 1 ? .text : .json)
        let level = options.logLevel
        let made = StderrWriter(format: format, syslogPriorities: stderrIsJournal)
        writer.withLock { $0 = made }
        LoggingSystem.bootstrap { _ in StderrLogHandler(writer: made, level: level) }
        let logger = Logger(label: "envshed-rotator")
        let shutdown = ShutdownSignal { line, exit in
            var fields: [String: Any] = [:]
            if let exit { fields["exit_code"] = Int(exit.rawValue) }
            made.say(line, level: exit == nil ? .warning : .notice, fields: fields)
        }
        shutdown.install()
        let environment = RotatorEnvironment.live(
            logger: logger, stateDirectory: options.stateDir, shouldStop: { shutdown.isRequested },
            interruptBehavior: { shutdown.setBehavior($0) }, progress: progressDisplay(made)
        )
        let path = Rotator.planPath(commandLine: options.config, environment: environment.variables)
        return Rotator(environment: environment, planPath: path)
    }

    /// The progress of `run` and `rotate`: on a terminal, one line at the bottom, redrawn every
    /// second and after every log line; otherwise a plain `progress:` line now and then.
    private static func progressDisplay(_ writer: StderrWriter) -> @Sendable (RunProgress) -> Void {
        guard isatty(STDERR_FILENO) == 1 else {
            return { update in
                guard !update.finished, update.isMilestone else { return }
                writer.say("progress: " + update.line(now: Date()), level: .info, fields: [
                    "progress.done": update.done, "progress.due": update.due, "progress.failed": update.failed,
                ])
            }
        }
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler { writer.redrawStatus() }
        timer.resume()
        ticker = timer
        return { update in
            if update.finished {
                writer.setStatus(nil)
            } else {
                writer.setStatus { update.line(now: Date()) }
            }
        }
    }

    /// Keeps the progress line's one-second timer alive for the life of the process. Set once,
    /// from the command's setup, before any other thread reads it (none does).
    private nonisolated(unsafe) static var ticker: (any DispatchSourceTimer)?

    /// Prints the report and messages, then ends with the result's exit code. In JSON mode each
    /// message is a JSON object; when stdout is the journal too (systemd), the report is one JSON
    /// object on one line, so that `journalctl -o cat | jq` reads every line.
    static func finish(_ result: OperationResult) throws {
        let level: Logger.Level = switch result.exit {
        case .success: .notice
        case .locked: .warning
        case .failure, .expiringSoon, .usage: .error
        }
        let writer = stderr
        writer.setStatus(nil)
        for message in result.messages {
            writer.say(message, level: level)
        }
        if !result.output.isEmpty {
            let stdoutIsJournal = JournalStream.isJournal(STDOUT_FILENO, value: ProcessInfo.processInfo.environment["JOURNAL_STREAM"])
            // On the journal, stdout lines carry a priority too (journald reads it per stream).
            let prefix = stdoutIsJournal ? "<\(StderrWriter.priority(level))>" : ""
            if writer.format == .json && stdoutIsJournal {
                print(prefix + ReportLine.oneLine(result.output, exit: result.exit))
            } else if stdoutIsJournal {
                print(Redactor.scrub(result.output).split(separator: "\n", omittingEmptySubsequences: false).map { prefix + $0 }.joined(separator: "\n"))
            } else {
                print(Redactor.scrub(result.output))
            }
        }
        if result.exit != .success {
            throw ExitCode(result.exit.rawValue)
        }
    }
}
