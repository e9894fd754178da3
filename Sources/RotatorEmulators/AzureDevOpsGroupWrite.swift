import Foundation

/// One `PUT` of a variable group the Azure DevOps emulator received, accepted or not.
public struct AzureDevOpsGroupWrite: Sendable {
    public let organization: String
    public let groupID: Int
    /// The variable names the body carried (values are never recorded).
    public let variableNames: [String]
    public let status: Int
    public let at: Date

    public var isAccepted: Bool { status == 200 }
}
