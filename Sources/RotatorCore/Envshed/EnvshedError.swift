/// A failed call to Envshed: which operation, the HTTP status and Envshed's own message, and what to do.
public enum EnvshedError: Error, CustomStringConvertible, Sendable {
    case status(operation: String, status: Int, message: String)
    case transport(operation: String, underlying: String)
    case malformedAnswer(operation: String, problem: String)
    case missingKeys(project: String, environment: String, keys: [String])

    public var description: String {
        switch self {
        case .status(let operation, let status, let message):
            return "Envshed \(operation) answered HTTP \(status)\(message.isEmpty ? "" : ": \(message)")\(Self.hint(status))"
        case .transport(let operation, let underlying):
            return "Envshed \(operation): \(underlying)"
        case .malformedAnswer(let operation, let problem):
            return "Envshed \(operation) answered something this version cannot read (\(problem)); see docs/envshed-api.md"
        case .missingKeys(let project, let environment, let keys):
            return "the test pull of \(project)/\(environment) lacks the expected key\(keys.count == 1 ? "" : "s") \(keys.joined(separator: ", "))"
        }
    }

    public var httpStatus: Int? {
        if case .status(_, let status, _) = self { return status }
        return nil
    }

    private static func hint(_ status: Int) -> String {
        switch status {
        case 401: " (check envshed.token: the credential is missing, expired or revoked)"
        case 403: " (envshed.token lacks the right to manage service tokens; an org owner or admin token is needed)"
        case 404: " (check envshed.org and the project/environment slugs and ids in the plan)"
        case 429: " (rate limited; retry later)"
        case 500...599: " (Envshed is failing; retry later)"
        default: ""
        }
    }
}
