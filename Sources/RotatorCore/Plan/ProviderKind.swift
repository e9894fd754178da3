/// The providers a plan can declare under `providers:` and use in `targets:`.
public enum ProviderKind: String, Sendable, CaseIterable {
    case github
}
