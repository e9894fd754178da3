/// A token just created: its metadata and, once only, its value.
public struct CreatedServiceToken: Sendable {
    public var token: ServiceToken
    public var value: Secret
}
