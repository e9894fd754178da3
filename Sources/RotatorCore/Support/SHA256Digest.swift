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
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in bytes(of: input) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
