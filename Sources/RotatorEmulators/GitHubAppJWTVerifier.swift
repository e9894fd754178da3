import Crypto
import Foundation
import _CryptoExtras

/// Checks a GitHub App JWT the way GitHub does before it issues an installation token: three
/// base64url parts, `alg: RS256`, an RSASSA-PKCS1-v1_5 SHA-256 signature that the App's public key
/// verifies, `iat` not in the future (60 s of drift allowed), `exp` in the future and no more than
/// 10 minutes ahead, `iss` the App's id. Each failure has GitHub's wording.
enum GitHubAppJWTVerifier {
    struct Failure: Error {
        let message: String
    }

    static let allowedDrift: TimeInterval = 60
    static let maximumLifetime: TimeInterval = 600

    /// - Returns: the App the JWT was signed by.
    static func verify(_ jwt: String, apps: [Int: GitHubApp], now: Date) throws(Failure) -> GitHubApp {
        let undecodable = Failure(message: "A JSON web token could not be decoded")
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3,
              let headerData = decode(parts[0]), let claimsData = decode(parts[1]), let signature = decode(parts[2]),
              let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any],
              let claims = try? JSONSerialization.jsonObject(with: claimsData) as? [String: Any]
        else {
            throw undecodable
        }
        guard header["alg"] as? String == "RS256" else { throw undecodable }
        let issuer = (claims["iss"] as? Int) ?? (claims["iss"] as? String).flatMap { Int($0) }
        guard let issuer, let app = apps[issuer] else {
            throw Failure(message: "'Issuer' claim ('iss') must be an Integer or String identifying a GitHub App")
        }
        let signed = Data((parts[0] + "." + parts[1]).utf8)
        guard app.publicKey.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: signed, padding: .insecurePKCS1v1_5) else {
            throw undecodable
        }
        guard let issuedAt = claims["iat"] as? Int else {
            throw Failure(message: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued")
        }
        guard let expiresAt = claims["exp"] as? Int else {
            throw Failure(message: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires")
        }
        let nowSeconds = now.timeIntervalSince1970
        guard Double(issuedAt) <= nowSeconds + allowedDrift else {
            throw Failure(message: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued")
        }
        guard Double(expiresAt) > nowSeconds else {
            throw Failure(message: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires")
        }
        guard Double(expiresAt) <= nowSeconds + maximumLifetime + allowedDrift, expiresAt - issuedAt <= Int(maximumLifetime + allowedDrift) else {
            throw Failure(message: "'Expiration time' claim ('exp') is too far in the future")
        }
        return app
    }

    /// base64url without padding, as JWTs use it.
    static func decode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !text.contains("=") else { return nil }
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
