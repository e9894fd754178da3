import Crypto
import Foundation
import _CryptoExtras

/// The JSON Web Token a GitHub App signs to ask for an installation token: RS256 (RSASSA-PKCS1-v1_5
/// with SHA-256, which swift-crypto names `.insecurePKCS1v1_5`), `iat` 60 s in the past to absorb
/// clock drift, `exp` 9 minutes ahead (GitHub refuses more than 10), `iss` the App id.
struct GitHubAppJWT: Sendable {
    static let backdate: TimeInterval = 60
    static let lifetime: TimeInterval = 9 * 60

    let appID: Int
    private let privateKey: _RSA.Signing.PrivateKey

    /// - Parameter privateKeyPEM: the App's key as GitHub issues it (PKCS#1 `BEGIN RSA PRIVATE KEY`)
    ///   or as PKCS#8 (`BEGIN PRIVATE KEY`).
    /// - Throws: `GitHubAppKeyError` when the PEM is not an RSA private key of at least 2048 bits.
    init(appID: Int, privateKeyPEM: Secret) throws(GitHubAppKeyError) {
        self.appID = appID
        do {
            privateKey = try privateKeyPEM.withRevealed { try _RSA.Signing.PrivateKey(pemRepresentation: $0) }
        } catch {
            // The library's error could quote the input; say only what is wrong.
            throw GitHubAppKeyError(reason: "the private key is not a PEM RSA private key of 2048 bits or more (a mangled PEM with lost newlines is a common cause)")
        }
    }

    /// `header.claims.signature`, each part base64url without padding.
    func token(now: Date) throws(GitHubAppKeyError) -> String {
        let issuedAt = Int((now.timeIntervalSince1970 - Self.backdate).rounded(.down))
        let expiresAt = Int((now.timeIntervalSince1970 + Self.lifetime).rounded(.down))
        // Written by hand so the field order is stable and the numbers stay integers.
        let header = #"{"alg":"RS256","typ":"JWT"}"#
        let claims = #"{"iat":\#(issuedAt),"exp":\#(expiresAt),"iss":\#(appID)}"#
        let signingInput = Self.base64URL(Data(header.utf8)) + "." + Self.base64URL(Data(claims.utf8))
        do {
            let signature = try privateKey.signature(for: Data(signingInput.utf8), padding: .insecurePKCS1v1_5)
            return signingInput + "." + Self.base64URL(signature.rawRepresentation)
        } catch {
            throw GitHubAppKeyError(reason: "signing the JWT failed")
        }
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// The App's private key cannot be used. Never quotes the key.
public struct GitHubAppKeyError: Error, CustomStringConvertible, Sendable {
    public var reason: String
    public var description: String { reason }
}
