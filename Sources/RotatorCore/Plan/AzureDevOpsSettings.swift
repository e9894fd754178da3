import Foundation

/// `providers.azure_devops`: Azure DevOps Services (or a Server collection URL).
public struct AzureDevOpsSettings: Sendable {
    public static let defaultAPIURL = "https://dev.azure.com"
    /// The REST version every request pins (https://learn.microsoft.com/en-us/rest/api/azure/devops/distributedtask/variablegroups/update?view=azure-devops-rest-7.1).
    public static let apiVersion = "7.1"
    /// Default writes a minute. Azure DevOps limits by TSTUs ("200 times the consumption of a
    /// typical user in a sliding five-minute window",
    /// https://learn.microsoft.com/en-us/azure/devops/integrate/concepts/rate-limits) and publishes
    /// no request count; a group `PUT` is a heavy call, so the bot stays far below any plausible
    /// share and lets `Retry-After` (on 429, and on the delayed 200s) slow it further.
    public static let defaultWritesPerMinute = 30
    /// Default requests in flight to the host at once.
    public static let defaultMaxConcurrent = 4

    /// How the credential is sent.
    public enum Authentication: String, Sendable, CaseIterable {
        /// A personal access token, as HTTP Basic with an empty user name
        /// (https://learn.microsoft.com/en-us/azure/devops/organizations/accounts/use-personal-access-tokens-to-authenticate#use-a-pat-in-your-code).
        case pat
        /// A Microsoft Entra ID access token, as `Authorization: Bearer`.
        case bearer
    }

    /// `https://dev.azure.com`; the organization is the first path segment of every request.
    public var apiURL: URL
    public var token: CredentialReference
    public var authentication: Authentication
    public var maxConcurrent: Int?
    public var writesPerMinute: Int?
    /// A PEM bundle of the CAs that may sign this provider's certificate (`ca_file:`). nil: the system store.
    public var caFile: String? = nil
}
