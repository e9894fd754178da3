import Crypto
import Foundation

/// `X-Envshed-Rotator-Signature: sha256=<hex>`: HMAC-SHA256 of the exact request body under the
/// channel's secret, so the receiver can check who sent it and that nothing changed on the way.
public enum WebhookSignature {
    public static let header = "X-Envshed-Rotator-Signature"

    public static func value(body: Data, secret: Secret) -> String {
        let key = secret.withRevealed { SymmetricKey(data: Data($0.utf8)) }
        let code = HMAC<SHA256>.authenticationCode(for: body, using: key)
        return "sha256=" + code.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// Constant-time comparison of a received header with the expected value, for receivers.
    public static func isValid(_ header: String, body: Data, secret: Secret) -> Bool {
        let expected = Array(value(body: body, secret: secret).utf8)
        let given = Array(header.utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
