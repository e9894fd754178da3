import Foundation

/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny, fast, seedable generator, so that a fuzz
/// case is replayed exactly from its seed. Not for anything that needs unpredictability.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

    mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &self) }

    /// True with probability `numerator / denominator`.
    mutating func chance(_ numerator: Int, in denominator: Int) -> Bool { int(0..<denominator) < numerator }

    mutating func pick<Element>(_ elements: [Element]) -> Element { elements[int(0..<elements.count)] }

    mutating func bytes(_ count: Int) -> [UInt8] {
        var words = [UInt64](repeating: 0, count: (count + 7) / 8)
        for index in words.indices { words[index] = next() }
        return words.withUnsafeBytes { Array($0.prefix(count)) }
    }

    static let alphanumerics = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    mutating func alphanumeric(_ count: Int) -> String {
        String((0..<count).map { _ in pick(Self.alphanumerics) })
    }
}

/// Token-shaped strings to plant in hostile input: whatever carries one must never print it.
enum PlantedToken {
    /// An Envshed service token as docs/envshed-api.md assumes it: `envshed_svc_` + 40 letters and
    /// digits.
    static func envshed(_ random: inout SplitMix64) -> String {
        "envshed_svc_" + random.alphanumeric(40)
    }

    /// One of the token kinds the tool handles, with the usual lengths.
    static func any(_ random: inout SplitMix64) -> String {
        switch random.int(0..<4) {
        case 0: envshed(&random)
        case 1: "ghp_" + random.alphanumeric(36)
        case 2: "glpat-" + random.alphanumeric(20)
        default: "ghs_" + random.alphanumeric(36)
        }
    }

    /// A GitHub App installation token in the stateless format: `ghs_` followed by a JWT, about
    /// 520 characters with two dots (GitHub changelog, 2026-05-15).
    static func statelessInstallation(_ random: inout SplitMix64) -> String {
        "ghs_" + jwt(&random)
    }

    /// A JWT as Kubernetes service accounts and GitHub Apps use them: base64url
    /// `header.payload.signature`, the header a JSON object (`eyJ`), an RS256 signature.
    static func jwt(_ random: inout SplitMix64) -> String {
        let base64url = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        func segment(_ count: Int) -> String { String((0..<count).map { _ in random.pick(base64url) }) }
        return "eyJ" + segment(random.int(17...60)) + ".eyJ" + segment(random.int(40...300)) + "." + segment(342)
    }

    /// Any credential the redactor must catch, of every shape it knows.
    static func credential(_ random: inout SplitMix64) -> String {
        switch random.int(0..<5) {
        case 0: statelessInstallation(&random)
        case 1: jwt(&random)
        case 2: withoutDigits(&random)
        case 3: "github_pat_" + random.alphanumeric(22) + "_" + random.alphanumeric(59)
        default: any(&random)
        }
    }

    /// A token with no digit at all, of any kind: about one Envshed or GitHub token in a
    /// thousand, one GitLab token in thirty.
    static func withoutDigits(_ random: inout SplitMix64) -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        let (prefix, length) = random.pick([("envshed_svc_", 40), ("ghp_", 36), ("glpat-", 20), ("ghs_", 36)])
        return prefix + String((0..<length).map { _ in random.pick(letters) })
    }
}
