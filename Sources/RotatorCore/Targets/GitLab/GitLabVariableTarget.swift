import Foundation
import Logging

/// A GitLab CI/CD variable of a project or a group, in one environment scope. GitLab has no
/// upsert: `PUT …/variables/:key?filter[environment_scope]=S`, and `POST` when that answers 404.
/// `masked_and_hidden` is accepted only at creation, so it is sent on `POST` only. Verified by
/// reading the variable back: the value (unless hidden) and every flag the plan sets.
struct GitLabVariableTarget: SecretTarget {
    /// Written into the variable's description so that people know not to edit it by hand.
    static let description = "Managed by envshed-rotator: rotated automatically; changes made by hand are overwritten"

    let target: Target
    let variable: GitLabVariable
    let client: GitLabClient

    init(target: Target, variable: GitLabVariable, client: GitLabClient) {
        self.target = target
        self.variable = variable
        self.client = client
    }

    /// `/projects/acme%2Fapi/variables` or `/groups/acme/variables`.
    private var collectionPath: String {
        switch variable.owner {
        case .project(let path): "/projects/\(URLJoin.segment(path))/variables"
        case .group(let path): "/groups/\(URLJoin.segment(path))/variables"
        }
    }

    /// `…/variables/KEY?filter%5Benvironment_scope%5D=SCOPE`: always filtered, so a key that
    /// exists in several scopes is never ambiguous (GitLab would answer 409).
    private var variablePath: String {
        "\(collectionPath)/\(URLJoin.segment(variable.key))?filter%5Benvironment_scope%5D=\(Self.queryValue(variable.environmentScope))"
    }

    func push(_ value: Secret, logger: Logger) async throws(TargetError) -> PushReceipt {
        try await client.collisions?.ensureNone(client: client, logger: logger)
        let startedAt = Date()
        let digest = value.withRevealed { SHA256Digest.hex(of: Array($0.utf8)) }
        var fields: [String: Any] = [
            "masked": variable.masked,
            "protected": variable.protected,
            "raw": variable.raw,
            "environment_scope": variable.environmentScope,
            "variable_type": "env_var",
            "description": Self.description,
        ]
        value.withRevealed { fields["value"] = $0 }
        let update = try await client.send("PUT", variablePath, json: fields, target: target, operation: "PUT variable", logger: logger)
        if update.isSuccess {
            return PushReceipt(startedAt: startedAt, created: false, valueDigest: digest)
        }
        guard update.status == 404 else {
            throw client.failure(update, target: target, variable: variable, operation: "PUT variable")
        }
        // Not there yet (or the project is not): create it. Hiding is possible only now.
        fields["key"] = variable.key
        if variable.hidden { fields["masked_and_hidden"] = true }
        let create = try await client.send("POST", collectionPath, json: fields, target: target, operation: "POST variable", logger: logger)
        guard create.isSuccess else {
            throw client.failure(create, target: target, variable: variable, operation: "POST variable")
        }
        return PushReceipt(startedAt: startedAt, created: true, valueDigest: digest)
    }

    func verify(_ receipt: PushReceipt, logger: Logger) async throws(TargetError) -> TargetObservation {
        let operation = "read back variable"
        let response = try await client.send("GET", variablePath, target: target, operation: operation, logger: logger)
        guard response.status == 200 else { throw client.failure(response, target: target, variable: variable, operation: operation) }
        guard let object = response.jsonObject() else {
            throw failure(operation, "the answer is not a JSON object")
        }
        let landed = (object["environment_scope"] as? String) ?? "?"
        guard landed == variable.environmentScope else { throw wrongScope(operation, landed: [landed]) }
        let hidden = (object["hidden"] as? Bool) ?? false
        if variable.hidden && !hidden {
            throw failure(
                operation,
                "the variable exists but is not hidden: GitLab hides a variable only when it is created; delete it in GitLab (the next run creates it hidden) or remove masked_and_hidden from the plan"
            )
        }
        var mismatches: [String] = []
        if (object["masked"] as? Bool) != variable.masked { mismatches.append("masked") }
        if (object["protected"] as? Bool) != variable.protected { mismatches.append("protected") }
        if let raw = object["raw"] as? Bool, raw != variable.raw { mismatches.append("raw") }
        guard mismatches.isEmpty else {
            var message = "the variable's \(mismatches.joined(separator: ", ")) differ from what was written"
            if case .group = variable.owner, let stored = object["environment_scope"] as? String, stored != variable.environmentScope {
                // Free ignores `environment_scope` and `filter` of group variables: the write
                // landed in (and may have replaced) the variable of another scope.
                message += "; GitLab stored it with environment_scope '\(stored)': group variables keep their scope on Premium and Ultimate only, so on Free use a project variable or environment_scope '*'"
            }
            throw failure(operation, message)
        }
        if !hidden {
            guard let value = object["value"] as? String else {
                throw failure(operation, "the answer has no value although the variable is not hidden")
            }
            guard SHA256Digest.hex(of: Array(value.utf8)) == receipt.valueDigest else {
                throw failure(operation, "the variable does not hold the token just written (another writer?)")
            }
        }
        try await verifyScopeInList(receipt, logger: logger)
        return TargetObservation(updatedAt: nil)
    }

    /// A group variable of one scope is also looked for in the group's whole list: a GitLab that
    /// ignores `filter[environment_scope]` on `PUT` (below Premium, and before 16.9) updates
    /// whichever variable has the key, which the filtered read-back above may not show.
    private func verifyScopeInList(_ receipt: PushReceipt, logger: Logger) async throws(TargetError) {
        guard case .group = variable.owner, variable.environmentScope != "*" else { return }
        let operation = "read back the group's variables"
        let all = try await client.listAll(collectionPath, target: target, variable: variable, operation: operation, logger: logger)
        let sameKey = all.filter { $0["key"] as? String == variable.key }
        let scopes = sameKey.map { ($0["environment_scope"] as? String) ?? "?" }
        guard scopes.contains(variable.environmentScope) else { throw wrongScope(operation, landed: scopes) }
        let alsoHolding = sameKey.filter { entry in
            entry["environment_scope"] as? String != variable.environmentScope
                && (entry["value"] as? String).map { SHA256Digest.hex(of: Array($0.utf8)) == receipt.valueDigest } == true
        }
        if !alsoHolding.isEmpty {
            throw wrongScope(operation, landed: alsoHolding.map { ($0["environment_scope"] as? String) ?? "?" })
        }
    }

    /// The write reached a variable of another environment scope than the plan's.
    private func wrongScope(_ operation: String, landed: [String]) -> TargetError {
        var message = "the write landed in environment scope \(landed.map { "'\($0)'" }.joined(separator: ", ")), not the plan's '\(variable.environmentScope)'"
        if case .group = variable.owner {
            message += "; GitLab honours environment_scope and filter[environment_scope] on group variables on Premium and Ultimate only"
                + " (https://docs.gitlab.com/api/group_level_variables/#the-filter-parameter), and below that drops them without an error;"
                + " check that variable by hand, then use a project variable, environment_scope '*', or a Premium group"
        }
        return TargetError(provider: .gitlab, target: target.label, operation: operation, status: 200, message: message, mayHaveWritten: true)
    }

    private func failure(_ operation: String, _ message: String) -> TargetError {
        TargetError(provider: .gitlab, target: target.label, operation: operation, status: 200, message: message)
    }

    /// Percent-encodes a query value completely (`*` → `%2A`, `/` → `%2F`).
    static func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")) ?? text
    }
}
