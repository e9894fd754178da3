import Foundation
import RotatorCore

/// A secret value read from stdin: all of it from a pipe or a file, one line without echo from a
/// terminal. Surrounding whitespace and the final newline are not part of the value.
enum SecretInput {
    static func read() -> Secret {
        if isatty(STDIN_FILENO) == 1 {
            Bootstrap.stderr.prompt("Paste the token value, then Enter (it is not shown): ")
            var saved = termios()
            let hidden = tcgetattr(STDIN_FILENO, &saved) == 0
            if hidden {
                var quiet = saved
                quiet.c_lflag &= ~tcflag_t(ECHO)
                tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
            }
            let line = readLine(strippingNewline: true) ?? ""
            if hidden { tcsetattr(STDIN_FILENO, TCSANOW, &saved) }
            FileHandle.standardError.write(Data("\n".utf8))
            return Secret(line.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let data = FileHandle.standardInput.readDataToEndOfFile()
        return Secret(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
