import Foundation

/// A `then:` command failed. Its stderr is cut and scrubbed of anything token-shaped.
struct CommandFailure: Error, CustomStringConvertible, Sendable {
    var command: [String]
    var reason: String
    var stderr: String = ""

    var description: String {
        var text = "`\(command.joined(separator: " "))` \(reason)"
        let trimmed = stderr.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n", with: " ")
        if !trimmed.isEmpty {
            let cut = trimmed.count > CommandRunner.stderrLimit ? String(trimmed.prefix(CommandRunner.stderrLimit)) + "…" : trimmed
            text += "; stderr: \(Redactor.scrub(cut))"
        }
        return Redactor.scrub(text)
    }
}
