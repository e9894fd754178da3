/// A secret variable of an Azure DevOps variable group as the plan declares it:
/// `azure_devops: { organization: acme, project: platform, group: deploy-tokens, variable: ENVSHED_TOKEN }`.
///
/// Azure Pipelines does not tell variable names apart by case (a job sees them as upper-case
/// environment variables, https://learn.microsoft.com/en-us/azure/devops/pipelines/process/variables),
/// so two targets whose names differ only in case are treated as one variable.
public struct AzureDevOpsVariable: Sendable, Hashable {
    /// The organization: `https://dev.azure.com/{organization}`.
    public var organization: String
    /// The project (name or id) the group is read through.
    public var project: String
    /// The group's name, or its numeric id.
    public var group: String
    /// The variable's name inside the group.
    public var variable: String

    public init(organization: String, project: String, group: String, variable: String) {
        self.organization = organization
        self.project = project
        self.group = group
        self.variable = variable
    }

    /// The group is given by its numeric id rather than its name.
    var groupID: Int? {
        group.allSatisfy(\.isASCII) && group.allSatisfy(\.isNumber) ? Int(group) : nil
    }

    /// The group as the plan names it, in the case Azure DevOps ignores. A group named by id and
    /// by name gives two keys: the write lock is keyed by the resolved id instead
    /// (`AzureDevOpsClient.withGroupLock`).
    var groupKey: String {
        "\(organization.lowercased())|\(project.lowercased())|\(group.lowercased())"
    }
}
