import CSodium

/// An X25519 key pair that opens libsodium sealed boxes, as GitHub does with each secret scope's key.
///
/// GitHub's clients encrypt with `crypto_box_seal` against the scope's public key; opening with the
/// same primitive is the only honest way to prove a client sealed the value correctly (right key,
/// right scope, standard Base64), which is what the rotator's GitHub target must get right.
struct SealedBoxOpener: Sendable {
    /// The 32-byte public key, handed out by the `public-key` endpoints.
    let publicKey: [UInt8]
    private let secretKey: [UInt8]

    /// Generates a fresh key pair with `crypto_box_keypair`.
    init() {
        // sodium_init is idempotent and thread-safe; it returns -1 only when libsodium cannot work
        // at all (no randomness source), and then no emulator can work either.
        precondition(sodium_init() >= 0, "libsodium failed to initialise")
        var publicKey = [UInt8](repeating: 0, count: crypto_box_publickeybytes())
        var secretKey = [UInt8](repeating: 0, count: crypto_box_secretkeybytes())
        let result = crypto_box_keypair(&publicKey, &secretKey)
        precondition(result == 0, "crypto_box_keypair failed")
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// Opens a sealed box made for this key pair.
    ///
    /// - Returns: The plaintext, or nil when the box is too short, was sealed for another key, or
    ///   was tampered with.
    func open(_ sealedBox: [UInt8]) -> [UInt8]? {
        // crypto_box_SEALBYTES is a macro Swift cannot import; the function returns the same value.
        let overhead = crypto_box_sealbytes()
        guard sealedBox.count >= overhead else {
            return nil
        }
        var plaintext = [UInt8](repeating: 0, count: sealedBox.count - overhead)
        let result = crypto_box_seal_open(
            &plaintext,
            sealedBox,
            UInt64(sealedBox.count),
            publicKey,
            secretKey
        )
        return result == 0 ? plaintext : nil
    }
}
