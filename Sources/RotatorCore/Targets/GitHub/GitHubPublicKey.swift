/// A scope's public key: the `key_id` to send back and the 32-byte X25519 key to seal with.
struct GitHubPublicKey: Sendable {
    var keyID: String
    var key: [UInt8]
}
