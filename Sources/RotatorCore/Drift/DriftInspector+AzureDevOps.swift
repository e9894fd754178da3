import Foundation
import Logging

extension DriftInspector {
    /// An Azure DevOps group variable: its value is never returned, and `modifiedOn` belongs to the
    /// whole group, so a later `modifiedOn` says that something in the group changed — this
    /// variable or another one — not which. The variable gone, or no longer secret, is certain.
    func azureDevOpsVariable(
        _ target: Target, _ variable: AzureDevOpsVariable, known: Known, _ finding: TargetDrift
    ) async throws(TargetError) -> TargetDrift {
        var finding = finding
        guard let azureDevOps else {
            throw TargetError(provider: .azureDevOps, target: target.label, operation: "read", message: "no Azure DevOps client")
        }
        let group = try await azureDevOps.group(variable, target: target, operation: "read variable group", logger: logger)
        if let modifiedOn = group.modifiedOn { finding.facts["modified_on"] = Timestamp.format(modifiedOn) }
        guard let name = group.existingName(of: variable.variable) else {
            finding.state = .missing
            finding.detail = "the group '\(group.name)' has no variable \(variable.variable) any more"
            return finding
        }
        guard group.isSecret(name) else {
            finding.state = .changed
            finding.detail = "the variable is no longer secret: someone changed it by hand"
            return finding
        }
        guard let verified = known.targets[target.identity]?.providerUpdatedAt else {
            finding.detail = "the bot has no verified write of it on record yet"
            return finding
        }
        finding.facts["verified_modified_on"] = Timestamp.format(verified)
        guard let modifiedOn = group.modifiedOn else {
            finding.detail = "Azure DevOps' answer has no readable modifiedOn"
            return finding
        }
        if modifiedOn.timeIntervalSince(verified) >= 1 {
            finding.detail = "the group was modified at \(Timestamp.format(modifiedOn)), after the bot's verified write: this variable or another one of the group changed (Azure DevOps does not say which)"
        } else {
            finding.state = .unchanged
            finding.detail = "the variable is secret and the group is unchanged since the bot's verified write"
        }
        return finding
    }
}
