import Foundation

/// The ways a secret can appear in bytes the rotator wrote: as is, base64 (standard and URL-safe,
/// with and without padding, and the part of the base64 of a longer string holding it at each of
/// the three byte alignments) and percent-encoded (upper- and lowercase hex).
enum SecretForms {
    static func of(_ secret: String) -> [(form: String, bytes: Data)] {
        let raw = Data(secret.utf8)
        var forms: [(String, String)] = []
        let padded = raw.base64EncodedString()
        forms.append(("base64", padded))
        forms.append(("unpadded base64", padded.replacingOccurrences(of: "=", with: "")))
        for alignment in 0..<3 {
            forms.append(("base64 inside a longer string (alignment \(alignment))", embeddedBase64(raw, alignment: alignment)))
        }
        forms += forms.map { ("URL-safe " + $0.0, $0.1.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")) }
        forms.append(("percent-encoded", percentEncoded(raw, hex: "0123456789ABCDEF")))
        forms.append(("percent-encoded (lowercase hex)", percentEncoded(raw, hex: "0123456789abcdef")))
        return [("raw", raw)] + forms.map { ($0.0, Data($0.1.utf8)) }
    }

    /// The base64 characters that depend only on the secret when it starts `alignment` bytes into
    /// a 3-byte group: whatever surrounds it, a base64 of the longer string contains these.
    static func embeddedBase64(_ raw: Data, alignment: Int) -> String {
        let encoded = Array((Data(repeating: 0, count: alignment) + raw).base64EncodedString())
        // The leading characters mixing in the bytes before; the last group mixing in those after.
        let leading = [0, 2, 3][alignment]
        let end = ((alignment + raw.count) / 3) * 4
        guard end > leading else { return String(encoded) }
        return String(encoded[leading..<end])
    }

    /// Every byte but letters and digits as `%XX`, as the strictest encoder would.
    private static func percentEncoded(_ raw: Data, hex: String) -> String {
        let digits = Array(hex)
        return raw.map { byte in
            let scalar = Unicode.Scalar(byte)
            if byte < 0x80, CharacterSet.alphanumerics.contains(scalar) { return String(Character(scalar)) }
            return "%" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
        }.joined()
    }
}
