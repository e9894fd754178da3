import Foundation
import Logging

/// A secret variable of an Azure DevOps variable group.
///
/// Azure DevOps cannot change one variable: `PUT …/variablegroups/{id}` replaces the group's whole
/// variable set. So the push, under the group's lock (`AzureDevOpsGroupLocks`), reads the group,
/// sets this one variable (`isSecret: true`) and sends every other variable back as it was read —
/// secret ones with their `null` value, which Azure DevOps keeps as it is
/// (https://github.com/microsoft/terraform-provider-azuredevops/issues/1433: "the azdo http service
/// has always allowed you to send a null for a value of an existing secret and it would NOT update
/// the value"). The answer must still hold every variable sent.
///
/// A secret's value is never returned, so the read-back checks that the variable is there, secret,
/// and that the group's `modifiedOn` is not older than the write.
struct AzureDevOpsVariableTarget: SecretTarget {
    let target: Target
    let variable: AzureDevOpsVariable
    let client: AzureDevOpsClient

    func push(_ value: Secret, logger: Logger) async throws(TargetError) -> PushReceipt {
        // The group's id first, so that targets naming one group by name and by id share its lock;
        // then the group is read again under the lock, fresh for the read-modify-write.
        let id = try await client.group(variable, target: target, operation: "read variable group", logger: logger).id
        return try await client.withGroupLock(organization: variable.organization, id: id) { () async throws(TargetError) -> PushReceipt in
            try await pushLocked(value, groupID: id, logger: logger)
        }
    }

    private func pushLocked(_ value: Secret, groupID: Int, logger: Logger) async throws(TargetError) -> PushReceipt {
        let group = try await client.group(variable, id: groupID, target: target, operation: "read variable group", logger: logger)
        guard group.type == "Vsts" else {
            throw failure(
                "read variable group",
                "the group '\(group.name)' is of type \(group.type): its variables come from an Azure Key Vault, so write the token to that Key Vault instead"
            )
        }
        guard !group.projectReferences.isEmpty else {
            throw failure(
                "read variable group",
                "the group '\(group.name)' came back without variableGroupProjectReferences; an update without them would unshare it, so nothing was written"
            )
        }
        let existing = group.existingName(of: variable.variable)
        if let existing, group.variables[existing]?["isReadOnly"] as? Bool == true {
            throw failure("read variable group", "the variable \(existing) is read-only in the group '\(group.name)'")
        }
        var variables = group.variables
        let name = existing ?? variable.variable
        var entry: [String: Any] = ["isSecret": true]
        value.withRevealed { entry["value"] = $0 }
        variables[name] = entry
        let startedAt = Date()
        let path = "/\(URLJoin.segment(variable.organization))/_apis/distributedtask/variablegroups/\(group.id)"
        let response = try await client.send(
            "PUT", path, json: group.updateBody(variables: variables), target: target, operation: "PUT variable group", logger: logger
        )
        guard response.status == 200 else {
            throw client.failure(response, target: target, variable: variable, operation: "PUT variable group")
        }
        // A 2xx that is not the group (a sign-in page) is not a write we can vouch for.
        guard let object = response.jsonObject(), let written = AzureDevOpsGroup(object) else {
            throw TargetError(
                provider: .azureDevOps, target: target.label, operation: "PUT variable group", status: response.status,
                message: "the answer is not the variable group\(AzureDevOpsClient.signInHint(response))", mayHaveWritten: true
            )
        }
        let lost = variables.keys.filter { sent in written.existingName(of: sent) == nil }.sorted()
        guard lost.isEmpty else {
            throw TargetError(
                provider: .azureDevOps, target: target.label, operation: "PUT variable group", status: 200,
                message: "the group '\(group.name)' no longer holds \(lost.joined(separator: ", ")) after the write; check it in Azure DevOps",
                mayHaveWritten: true
            )
        }
        return PushReceipt(startedAt: startedAt, created: existing == nil)
    }

    func verify(_ receipt: PushReceipt, logger: Logger) async throws(TargetError) -> TargetObservation {
        let operation = "read back variable group"
        let group = try await client.group(variable, target: target, operation: operation, logger: logger)
        guard let name = group.existingName(of: variable.variable) else {
            throw failure(operation, "the group '\(group.name)' has no variable \(variable.variable): the write did not land, or someone removed it")
        }
        guard group.isSecret(name) else {
            throw failure(operation, "the variable \(name) is not secret: the token would show in plain text; someone changed it after the write")
        }
        if let value = group.variables[name]?["value"], !(value is NSNull) {
            throw failure(operation, "the variable \(name) came back with a value although it is secret; Azure DevOps never returns secret values")
        }
        guard let modifiedOn = group.modifiedOn else {
            throw failure(operation, "the group's answer has no readable modifiedOn")
        }
        let earliest = receipt.startedAt.addingTimeInterval(-1 - GitHubSecretTarget.clockSkewTolerance)
        guard modifiedOn >= earliest else {
            throw failure(
                operation,
                "the group's modifiedOn is \(Timestamp.format(modifiedOn)), older than our write at \(Timestamp.format(receipt.startedAt)): the write did not land"
            )
        }
        return TargetObservation(updatedAt: modifiedOn)
    }

    private func failure(_ operation: String, _ message: String) -> TargetError {
        TargetError(provider: .azureDevOps, target: target.label, operation: operation, status: 200, message: message)
    }
}
