import CSodium

/// libsodium must be initialised once per process before any other call; `sodium_init` is
/// idempotent and thread-safe, and a Swift `static let` runs it exactly once.
enum Sodium {
    static let isReady: Bool = sodium_init() >= 0

    static func ensureReady() throws(SodiumError) {
        guard isReady else { throw SodiumError.initializationFailed }
    }
}

enum SodiumError: Error, CustomStringConvertible {
    case initializationFailed
    case invalidPublicKey(length: Int)
    case sealFailed

    var description: String {
        switch self {
        case .initializationFailed: "libsodium could not be initialised (sodium_init failed)"
        case .invalidPublicKey(let length): "the public key is \(length) bytes long; a sealed box needs a 32-byte X25519 key"
        case .sealFailed: "libsodium could not seal the value (crypto_box_seal failed)"
        }
    }
}
