import _CryptoExtras

/// A GitHub App the emulator knows: its id, its one installation, and the public half of the key
/// it signs JWTs with.
struct GitHubApp: Sendable {
    let id: Int
    let installationID: Int
    let publicKey: _RSA.Signing.PublicKey
}
