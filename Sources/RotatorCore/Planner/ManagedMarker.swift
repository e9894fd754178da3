/// The description every token the bot creates carries: marks it as managed by this tool, names
/// the rotation, the serial and the create attempt. A token found in Envshed with this marker but
/// unknown to the state was created by a run that died before it could journal it.
public struct ManagedMarker: Sendable, Hashable, CustomStringConvertible {
    static let tag = "managed-by=envshed-rotator"

    public var rotationID: String
    public var serial: Int
    /// `RUNID-N`: the run and its Nth create attempt (the idempotency key of the create).
    public var attempt: String

    public init(rotationID: String, serial: Int, attempt: String) {
        self.rotationID = rotationID
        self.serial = serial
        self.attempt = attempt
    }

    public var description: String {
        "\(Self.tag) rotation=\(rotationID) serial=\(serial) attempt=\(attempt)"
    }

    /// Reads a token description; nil when it does not carry the marker.
    public static func parse(_ description: String?) -> ManagedMarker? {
        guard let description, description.hasPrefix(tag) else { return nil }
        var fields: [String: String] = [:]
        for part in description.split(separator: " ") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
        }
        guard let rotation = fields["rotation"], let attempt = fields["attempt"] else { return nil }
        return ManagedMarker(rotationID: rotation, serial: fields["serial"].flatMap(Int.init) ?? 0, attempt: attempt)
    }
}
