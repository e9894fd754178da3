import Foundation
import RotatorCore

/// The operator at a terminal: lines go to stderr at once, answers come from stdin.
struct TerminalConsole: OperatorConsole {
    var isInteractive: Bool { isatty(STDIN_FILENO) == 1 }

    func say(_ line: String) {
        FileHandle.standardError.write(Data((Redactor.scrub(line) + "\n").utf8))
    }

    func ask(_ question: String) -> String? {
        FileHandle.standardError.write(Data(question.utf8))
        return readLine(strippingNewline: true)
    }
}
