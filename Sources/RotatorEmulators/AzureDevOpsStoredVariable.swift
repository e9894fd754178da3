import Foundation

/// One variable of a group held by the Azure DevOps emulator; secret values are kept but never answered.
public struct AzureDevOpsStoredVariable: Sendable, Hashable {
    public var value: String?
    public var isSecret: Bool
    public var isReadOnly: Bool

    public init(value: String?, isSecret: Bool, isReadOnly: Bool = false) {
        self.value = value
        self.isSecret = isSecret
        self.isReadOnly = isReadOnly
    }
}
