import Foundation

/// Whether a plain `http://` URL stays on this machine, the one case where the tool sends
/// credentials without TLS (emulators, `kubectl proxy`). The host is parsed, never matched by
/// prefix: `http://127.0.0.1.evil.com` and `http://localhost@evil.com` go to evil.com.
/// Spellings a resolver might still map to loopback (`127.1`, `0x7f.0.0.1`, `localhost.`) are
/// refused: an https URL or the plain dotted form is always available.
enum LoopbackHost {
    /// The URL's host is `localhost`, an IPv4 address in 127.0.0.0/8 or the IPv6 address `::1`.
    static func contains(_ url: URL) -> Bool {
        guard let host = url.host(percentEncoded: false) else { return false }
        return isLoopback(host)
    }

    /// `host` as `URL` gives it: IPv6 addresses with or without their brackets.
    static func isLoopback(_ host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        if let octets = dottedQuad(host) { return octets[0] == 127 }
        var address = host
        if address.hasPrefix("[") && address.hasSuffix("]") { address = String(address.dropFirst().dropLast()) }
        // Digits, hex letters and colons only: no zone (`%lo`), no embedded IPv4.
        guard !address.isEmpty, address.allSatisfy({ $0 == ":" || $0.isHexDigit }) else { return false }
        var parsed = in6_addr()
        guard inet_pton(AF_INET6, address, &parsed) == 1 else { return false }
        return withUnsafeBytes(of: &parsed) { bytes in bytes.dropLast().allSatisfy { $0 == 0 } && bytes.last == 1 }
    }

    /// Four decimal numbers 0–255 without leading zeros, separated by dots; nil for anything else.
    private static func dottedQuad(_ host: String) -> [Int]? {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  part == "0" || !part.hasPrefix("0"), let value = Int(part), value <= 255
            else { return nil }
            octets.append(value)
        }
        return octets
    }
}
