import CSodium

/// libsodium's sealed box (X25519 + XSalsa20-Poly1305, anonymous sender): the encryption GitHub
/// requires for Actions secrets. Never hand-rolled.
enum SealedBox {
    static func seal(_ message: [UInt8], publicKey: [UInt8]) throws(SodiumError) -> [UInt8] {
        try Sodium.ensureReady()
        guard publicKey.count == Int(crypto_box_publickeybytes()) else {
            throw SodiumError.invalidPublicKey(length: publicKey.count)
        }
        // crypto_box_SEALBYTES is a macro Swift cannot import; the function returns the same value.
        var ciphertext = [UInt8](repeating: 0, count: message.count + Int(crypto_box_sealbytes()))
        let result = message.withUnsafeBufferPointer { messageBuffer in
            crypto_box_seal(&ciphertext, messageBuffer.baseAddress, UInt64(messageBuffer.count), publicKey)
        }
        guard result == 0 else { throw SodiumError.sealFailed }
        return ciphertext
    }
}
