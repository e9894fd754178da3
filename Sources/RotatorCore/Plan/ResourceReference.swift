/// An Envshed project or environment: addressed by slug in pulls, by UUID when a token is created.
public struct ResourceReference: Sendable, Hashable {
    public var slug: String
    public var id: String?
}
