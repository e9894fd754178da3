/// What an Envshed service token can read (Envshed docs: "org", "project", "environment").
public enum TokenScope: String, Sendable, CaseIterable, Codable {
    case org
    case project
    case environment
}
