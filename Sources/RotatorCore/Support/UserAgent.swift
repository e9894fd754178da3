/// Sent on every request: GitHub rejects requests without one, and it tells API owners who calls.
public enum UserAgent {
    public static let version = "0.1.0"
    public static let value = "envshed-rotator/\(version)"
}
