import Foundation
import Yams

extension TargetParser {
    /// `azure_devops: { organization, project, group, variable }`: a secret variable of a
    /// variable group. Names are checked against Azure DevOps' naming rules
    /// (https://learn.microsoft.com/en-us/azure/devops/organizations/settings/naming-restrictions,
    /// https://learn.microsoft.com/en-us/azure/devops/pipelines/process/variables#user-defined-variables)
    /// so that `validate` reports them with line and column.
    mutating func azureDevOps(_ node: Node) -> Target? {
        let allowed = ["organization", "project", "group", "variable"]
        guard let fields = reader.mapping(node, path: path, allowed: allowed) else { return nil }
        let organization = reader.string(fields, "organization", required: true)
        if let organization, let problem = Self.azureOrganizationProblem(organization), let organizationNode = fields.node("organization") {
            reader.error(organizationNode, "\(path).organization: \(problem)")
        }
        let project = reader.string(fields, "project", required: true)
        if let project, let problem = Self.azureProjectProblem(project), let projectNode = fields.node("project") {
            reader.error(projectNode, "\(path).project: \(problem)")
        }
        let group = reader.string(fields, "group", required: true)
        if let group, let groupNode = fields.node("group") {
            if group.trimmingCharacters(in: .whitespaces).isEmpty {
                reader.error(groupNode, "\(path).group: expected the variable group's name or numeric id")
            } else if group.contains("*") {
                // `groupName=` treats `*` as a wildcard: the bot would not know which group it wrote.
                reader.error(groupNode, "\(path).group: '\(group)' contains '*', which Azure DevOps reads as a wildcard; name one group exactly, or give its numeric id")
            }
        }
        let variable = reader.string(fields, "variable", required: true)
        if let variable, let problem = Self.azureVariableProblem(variable), let variableNode = fields.node("variable") {
            reader.error(variableNode, "\(path).variable: \(problem)")
        }
        guard let organization, let project, let group, let variable else { return nil }
        let spec = AzureDevOpsVariable(organization: organization, project: project, group: group, variable: variable)
        return Target(kind: .azureDevOpsVariable(spec), location: location)
    }

    /// Organization names: letters, digits and dashes, starting and ending with a letter or digit, at most 50.
    static func azureOrganizationProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, let last = bytes.last, bytes.count <= 50, ASCIIText.isWord(name, extra: "-"),
              first != UInt8(ascii: "-"), last != UInt8(ascii: "-")
        else {
            return "'\(name)' is not an Azure DevOps organization name (letters, digits and dashes, not at either end, at most 50): the name in https://dev.azure.com/NAME"
        }
        return nil
    }

    /// Project names: at most 64 characters, none of `\ / : * ? " ' < > | ; # $ { } , + = [ ]`,
    /// not starting with `_` or `.`, not ending with `.`.
    static func azureProjectProblem(_ name: String) -> String? {
        let forbidden = Set("\\/:*?\"'<>|;#${},+=[]%&")
        if name.isEmpty || name.count > 64 || name.contains(where: { forbidden.contains($0) || $0.isNewline })
            || name.hasPrefix("_") || name.hasPrefix(".") || name.hasSuffix(".") {
            return "'\(name)' is not an Azure DevOps project name (at most 64 characters, none of \\ / : * ? \" ' < > | ; # $ { } , + = [ ] % &, not starting with _ or ., not ending with .)"
        }
        return nil
    }

    /// Variable names: letters, digits, `.` and `_`; not prefixed with a name Azure Pipelines reserves.
    static func azureVariableProblem(_ name: String) -> String? {
        guard !name.isEmpty, name.utf8.count <= 255, ASCIIText.isWord(name, extra: "._") else {
            return "Azure Pipelines variable names are letters, digits, '.' and '_', got '\(name)'"
        }
        let lowered = name.lowercased()
        for reserved in ["endpoint", "input", "secret", "path", "securefile"] where lowered.hasPrefix(reserved) {
            return "'\(name)' starts with '\(reserved)', a prefix Azure Pipelines reserves for system variables"
        }
        if lowered.hasPrefix("system.") || lowered.hasPrefix("build.") || lowered.hasPrefix("agent.") || lowered.hasPrefix("release.") {
            return "'\(name)' would shadow an Azure Pipelines predefined variable"
        }
        return nil
    }
}
