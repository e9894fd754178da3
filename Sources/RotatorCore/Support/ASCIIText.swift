/// Character classes of the names a plan uses (ids, repository paths, secret names, keys), all
/// ASCII. Checked on UTF-8 bytes: `Character` properties look up Unicode tables for every
/// character, which showed in the time `validate` takes on a plan of thousands of rotations.
enum ASCIIText {
    /// Every byte is an ASCII letter or digit, or one of `extra`; false when empty.
    static func isWord(_ text: some StringProtocol, extra: String = "") -> Bool {
        all(text) { isLetter($0) || isDigit($0) || extra.utf8.contains($0) }
    }

    /// Every byte is a lower-case ASCII letter or digit, or one of `extra`; false when empty.
    static func isLowerWord(_ text: some StringProtocol, extra: String = "") -> Bool {
        all(text) { isLower($0) || isDigit($0) || extra.utf8.contains($0) }
    }

    static func isLetter(_ byte: UInt8) -> Bool { isLower(byte) || (byte >= 0x41 && byte <= 0x5A) }
    static func isLower(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func all(_ text: some StringProtocol, _ allowed: (UInt8) -> Bool) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(allowed)
    }
}
