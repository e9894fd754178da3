import Foundation
import Logging
import RotatorCore

/// The operator at a terminal: lines go to stderr at once (in the process's stderr format),
/// answers come from stdin.
struct TerminalConsole: OperatorConsole {
    var isInteractive: Bool { isatty(STDIN_FILENO) == 1 }

    func say(_ line: String) {
        Bootstrap.stderr.say(line, level: .notice)
    }

    func ask(_ question: String) -> String? {
        Bootstrap.stderr.prompt(question)
        return readLine(strippingNewline: true)
    }
}
