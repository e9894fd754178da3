import Foundation

/// One token of the state whose fingerprint matches a value given to `which`, with every
/// declared target that holds it or may hold it.
struct TokenSighting {
    /// How sure the state is that a target holds the token.
    enum Holding: String {
        /// The last verified read-back found it there.
        case verified
        /// A write of it was started and its outcome is unknown, or it is being replaced.
        case may
        /// The target has no record: it is assumed to hold the rotation's current token.
        case assumed
    }

    var rotationID: String
    var token: ManagedToken
    var targets: [(label: String, holding: Holding)]

    /// - Parameters:
    ///   - rotation: the plan's rotation, for targets without a record; nil when the plan no longer declares it.
    init(token: ManagedToken, rotation: Rotation?, record: RotationRecord?, targetRecords: [TargetRecord]) {
        rotationID = token.rotationID
        self.token = token
        var found: [(label: String, holding: Holding)] = []
        var recorded = Set<String>()
        for target in targetRecords {
            recorded.insert(target.identity)
            if target.verifiedTokenID == token.tokenID && target.possibleTokenIDs == [token.tokenID] {
                found.append((target.label, .verified))
            } else if target.possibleTokenIDs.contains(token.tokenID) || target.verifiedTokenID == token.tokenID {
                found.append((target.label, .may))
            }
        }
        if let rotation, record?.tokenID == token.tokenID {
            for target in rotation.targets where !recorded.contains(target.identity) {
                found.append((target.label, .assumed))
            }
        }
        targets = found
    }

    var json: [String: Any] {
        [
            "rotation": rotationID, "token_id": token.tokenID, "name": JSONOutput.optional(token.name), "status": token.status.rawValue,
            "origin": token.origin.rawValue, "fingerprint": JSONOutput.optional(token.fingerprint), "expires_at": JSONOutput.date(token.expiresAt),
            "revoked_at": JSONOutput.date(token.revokedAt),
            "targets": targets.map { ["target": $0.label, "holds": $0.holding.rawValue] },
        ]
    }

    var lines: [String] {
        var lines = ["rotation \(rotationID)", "  token:   \(token.tokenID) \"\(token.name ?? "(no name)")\", \(token.status.rawValue)"]
        if let expires = token.expiresAt { lines.append("  expires: \(Timestamp.format(expires))") }
        if let revoked = token.revokedAt { lines.append("  revoked: \(Timestamp.format(revoked)) (a leak of it is harmless now)") }
        if targets.isEmpty {
            lines.append("  targets: none hold it, as far as the state knows")
        }
        for (index, target) in targets.enumerated() {
            let how = switch target.holding {
            case .verified: "holds it (verified)"
            case .may: "may hold it (a write was not confirmed, or it is being replaced)"
            case .assumed: "holds it (assumed: no read-back recorded)"
            }
            lines.append("\(index == 0 ? "  targets: " : "           ")\(target.label) \(how)")
        }
        if token.status != .revoked {
            lines.append("  next:    envshed-rotator rotate \(rotationID) --reason \"leaked\" --emergency --revoke-old first")
        }
        return lines
    }
}
