/// A failed call to Envshed: which operation, the HTTP status and Envshed's own message, and what to do.
public enum EnvshedError: Error, CustomStringConvertible, Sendable {
    /// `credential` names what authenticated the call, for the 401/403 hint.
    case status(operation: String, status: Int, message: String, credential: String = "envshed.token")
    case transport(operation: String, underlying: String)
    case malformedAnswer(operation: String, problem: String)
    case missingKeys(project: String, environment: String, keys: [String])
    /// A paginated list could not be read to its end; acting on part of it is unsafe.
    case incompleteList(operation: String, problem: String)
    /// `DELETE` answered "not found" but the token list does not show the token revoked or absent:
    /// the 404 may come from a route that does not exist, so the token may still be live.
    case revocationUnproven(tokenID: String, status: Int, unknownRoute: Bool)

    public var description: String {
        switch self {
        case .status(let operation, let status, let message, let credential):
            return "Envshed \(operation) answered HTTP \(status)\(message.isEmpty ? "" : ": \(message)")\(Self.hint(status, credential: credential))"
        case .transport(let operation, let underlying):
            return "Envshed \(operation): \(underlying)"
        case .malformedAnswer(let operation, let problem):
            return "Envshed \(operation) answered something this version cannot read (\(problem)); see docs/envshed-api.md"
        case .missingKeys(let project, let environment, let keys):
            return "the test pull of \(project)/\(environment) lacks the expected key\(keys.count == 1 ? "" : "s") \(keys.joined(separator: ", "))"
        case .incompleteList(let operation, let problem):
            return "Envshed \(operation): \(problem); nothing was changed on its account, and the next run reads the list again"
        case .revocationUnproven(let tokenID, let status, let unknownRoute):
            let answer = unknownRoute ? "a page that is not an Envshed API answer (the revoke path may be wrong)" : "that the token was not found"
            return "Envshed revoke service token \(tokenID) answered HTTP \(status) with \(answer), but the token list still shows the token live: it is not counted as revoked, and the next run tries again (check revokePath in docs/envshed-api.md)"
        }
    }

    /// True when the request may have been applied although it failed: no answer, a 5xx, or an
    /// answer that could not be read. A create failing this way must be checked, not repeated.
    public var outcomeUnknown: Bool {
        switch self {
        case .transport, .malformedAnswer: true
        case .status(_, let status, _, _): status >= 500
        case .missingKeys, .incompleteList, .revocationUnproven: false
        }
    }

    public var httpStatus: Int? {
        if case .status(_, let status, _, _) = self { return status }
        return nil
    }

    private static func hint(_ status: Int, credential: String) -> String {
        switch (status, credential) {
        case (401, _): " (\(credential) was refused: it is missing, expired or revoked)"
        case (403, "envshed.token"): " (envshed.token lacks the right to manage service tokens; an org owner or admin token is needed)"
        case (403, _): " (\(credential) may not read this environment: check the rotation's scope, project and environment against verify.pull)"
        case (404, _): " (check envshed.org and the project/environment slugs and ids in the plan)"
        case (429, _): " (rate limited; retry later)"
        case (500...599, _): " (Envshed is failing; retry later)"
        default: ""
        }
    }
}
