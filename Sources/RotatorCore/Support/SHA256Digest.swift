import CSodium

/// SHA-256 through libsodium, which the project links anyway for GitHub's sealed boxes.
public enum SHA256Digest {
    public static func bytes(of input: [UInt8]) -> [UInt8] {
        _ = Sodium.isReady
        var output = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_bytes()))
        _ = input.withUnsafeBufferPointer { inputBuffer in
            crypto_hash_sha256(&output, inputBuffer.baseAddress, UInt64(inputBuffer.count))
        }
        return output
    }

    public static func hex(of input: [UInt8]) -> String {
        bytes(of: input).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
