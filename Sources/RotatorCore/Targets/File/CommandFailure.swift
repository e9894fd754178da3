import Foundation

/// A `then:` command failed. Its stderr is cut and scrubbed of anything token-shaped.
struct CommandFailure: Error, CustomStringConvertible, Sendable {
    var command: [String]
    var reason: String
    var stderr: String = ""

    var description: String {
        var text = "`\(command.joined(separator: " "))` \(reason)"
        // Cut like a service's answer: never inside a word, so no token's start is printed.
        let quoted = HTTPResponse.quote(stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        if !quoted.isEmpty {
            text += "; stderr: \(quoted)"
        }
        return Redactor.scrub(text)
    }
}
