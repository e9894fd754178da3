/// The providers a plan can use in `targets:`; all but `file` also need an entry under `providers:`.
public enum ProviderKind: String, Sendable, CaseIterable {
    case github
    case gitlab
    case kubernetes
    case file
    case azureDevOps = "azure_devops"

    /// Whether targets of this provider need a `providers:` entry (API URL, credential). Files are
    /// written by this process itself and need none.
    public var needsProviderEntry: Bool {
        self != .file
    }

    /// The keys `providers:` accepts.
    static var providerEntryKeys: [String] {
        allCases.filter(\.needsProviderEntry).map(\.rawValue)
    }
}
