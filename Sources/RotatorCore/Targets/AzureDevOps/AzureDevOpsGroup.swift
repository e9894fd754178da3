import Foundation

/// A variable group as `GET …/variablegroups` answers it
/// (https://learn.microsoft.com/en-us/rest/api/azure/devops/distributedtask/variablegroups/get?view=azure-devops-rest-7.1):
/// secret variables come back with `isSecret: true` and no value.
struct AzureDevOpsGroup {
    let id: Int
    let name: String
    /// `Vsts` for a group that holds its own variables; `AzureKeyVault` for one linked to a Key Vault.
    let type: String
    /// Name → `{value, isSecret, isReadOnly…}`, exactly as received.
    let variables: [String: [String: Any]]
    let modifiedOn: Date?
    /// The whole object as received, for writing back what the bot does not change.
    let object: [String: Any]

    init?(_ object: [String: Any]) {
        guard let id = (object["id"] as? Int) ?? (object["id"] as? String).flatMap(Int.init), let name = object["name"] as? String else {
            return nil
        }
        self.id = id
        self.name = name
        self.type = (object["type"] as? String) ?? "Vsts"
        self.variables = (object["variables"] as? [String: Any])?.compactMapValues { $0 as? [String: Any] } ?? [:]
        self.modifiedOn = (object["modifiedOn"] as? String).flatMap(Self.parseDate)
        self.object = object
    }

    /// The name under which the group holds `name`, compared case-insensitively as Azure Pipelines does.
    func existingName(of name: String) -> String? {
        variables.keys.first { $0.lowercased() == name.lowercased() }
    }

    func isSecret(_ name: String) -> Bool {
        (variables[name]?["isSecret"] as? Bool) == true
    }

    /// The `VariableGroupParameters` of an update
    /// (https://learn.microsoft.com/en-us/rest/api/azure/devops/distributedtask/variablegroups/update?view=azure-devops-rest-7.1):
    /// everything as read, with `variables` replaced. The project references are required: an
    /// update without them fails (https://github.com/MicrosoftDocs/vsts-rest-api-specs/issues/531).
    func updateBody(variables: [String: [String: Any]]) -> [String: Any] {
        var body: [String: Any] = ["name": name, "type": type, "variables": variables]
        for key in ["description", "providerData", "variableGroupProjectReferences"] {
            if let value = object[key], !(value is NSNull) { body[key] = value }
        }
        return body
    }

    var projectReferences: [Any] {
        (object["variableGroupProjectReferences"] as? [Any]) ?? []
    }

    /// Azure DevOps writes up to seven fractional digits (`2026-12-02T15:30:00.1234567Z`), more
    /// than ISO 8601 parsers take: the fraction is cut to milliseconds first.
    static func parseDate(_ text: String) -> Date? {
        guard let dot = text.firstIndex(of: "."), let end = text[dot...].firstIndex(where: { !$0.isNumber && $0 != "." }) else {
            return Timestamp.parse(text)
        }
        let fraction = text[text.index(after: dot)..<end]
        let kept = String(fraction.prefix(3)).padding(toLength: 3, withPad: "0", startingAt: 0)
        return Timestamp.parse(String(text[..<dot]) + "." + kept + String(text[end...]))
    }
}
