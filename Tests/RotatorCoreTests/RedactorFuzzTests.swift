import Foundation
@testable import RotatorCore
import Testing

/// `Redactor` is the last line of defence of every error and log line, and runs on every value of
/// a plan and on error answers of any size: it must find every token, change nothing else, and
/// stay linear.
@Suite("Redactor under hostile text")
struct RedactorFuzzTests {
    /// The rule of `Redactor`'s comments, written the slow, obvious way, character by character:
    /// a prefix, then at least 12 token characters (after `ghs_`, dots between them count); after
    /// `envshed_`, a digit among them unless they start with `svc_`. Or `eyJ`, token characters
    /// and dots, with at least 10 characters before the first dot and one after it.
    static func reference(_ text: String) -> String {
        func isTokenCharacter(_ character: Character) -> Bool {
            character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == "-")
        }
        func runEnd(from start: String.Index, dotted: Bool) -> String.Index {
            var end = start
            while end < text.endIndex {
                let next = text.index(after: end)
                if isTokenCharacter(text[end]) || (dotted && text[end] == "." && next < text.endIndex && isTokenCharacter(text[next])) {
                    end = next
                } else {
                    break
                }
            }
            return end
        }
        var result = ""
        var index = text.startIndex
        outer: while index < text.endIndex {
            for prefix in Redactor.prefixes where text[index...].hasPrefix(prefix) {
                let bodyStart = text.index(index, offsetBy: prefix.count)
                let end = runEnd(from: bodyStart, dotted: prefix == "ghs_")
                let body = text[bodyStart..<end]
                if body.count >= 12, prefix != "envshed_" || body.contains(where: \.isNumber) || body.hasPrefix("svc_") {
                    result += prefix + "<redacted>"
                    index = end
                    continue outer
                }
            }
            if text[index...].hasPrefix("eyJ") {
                let end = runEnd(from: index, dotted: true)
                if let dot = text[index..<end].firstIndex(of: "."), text.distance(from: index, to: dot) >= 10 {
                    result += "eyJ<redacted>"
                    index = end
                    continue outer
                }
            }
            result.append(text[index])
            index = text.index(after: index)
        }
        return result
    }

    static let fragments = [
        "envshed_", "envshed_svc_", "ghp_", "ghs_", "gho_", "ghu_", "ghr_", "github_pat_", "glpat-", "gh", "e", "g", "_", "-", "svc_",
        "a", "Z", "0", "7", "abc", "0123456789", "DEF456", " ", "\n", ":", "\"", "é", "🚀", "\u{0}", "ｅ", "envshed", "token",
        ".", "..", "eyJ", "eyJhbGciOiJSUzI1NiJ9", ".eyJzdWIiOiJib3QifQ", "ghs_eyJhbGciOiJSUzI1NiJ9", ".sig-_",
    ]

    @Test("agrees with the character-by-character rule on random text", arguments: [1, 2, 3, 4] as [UInt64])
    func differential(seed: UInt64) async {
        let mismatches = await offThePool { Self.mismatches(seed: seed) }
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
    }

    static func mismatches(seed: UInt64) -> [String] {
        var random = SplitMix64(seed: seed)
        var mismatches: [String] = []
        for _ in 0..<2_000 {
            var text = ""
            for _ in 0..<random.int(0...40) {
                text += random.chance(1, in: 10) ? PlantedToken.credential(&random) : random.pick(Self.fragments)
            }
            let expected = Self.reference(text)
            let actual = Redactor.scrub(text)
            if actual != expected, mismatches.count < 5 {
                mismatches.append("\(text.debugDescription)\n  expected \(expected.debugDescription)\n  got      \(actual.debugDescription)")
            }
        }
        return mismatches
    }

    @Test("every planted token is redacted, whatever surrounds it", arguments: [5, 6] as [UInt64])
    func plantedTokens(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        for _ in 0..<2_000 {
            let token = random.chance(1, in: 4) ? PlantedToken.withoutDigits(&random) : PlantedToken.any(&random)
            let before = random.pick(["", " ", "\"", "'", ":", "=", "(", "\n", "é", "🚀", "/", ".", ","])
            let after = random.pick(["", " ", "\"", "'", ".", ")", "\n", "é", "🚀", "/", ",", "\u{0}"])
            let text = random.alphanumeric(random.int(0...3)).lowercased().filter { !"eg".contains($0) } + before + token + after
            #expect(!Redactor.scrub(text).contains(token), "\(text.debugDescription) → \(Redactor.scrub(text).debugDescription)")
        }
    }

    /// Text around a credential that is no credential, near misses included: each must come out
    /// unchanged.
    static let prose = [
        "deploy", "failed:", "envshed_token_rotation", "ghs_short", "glpat-x", "github_pat_", "eyJ", "eyJhbGciOiJSUzI1NiJ9",
        "eyJ.abc", "v1.2.3", "e.g.", "api.github.com", "https://gitlab.example.com/api/v4", "a-b_c", "é", "🚀", "ghp_", "token=",
    ]
    /// What may touch a credential on either side without becoming part of it.
    static let separators = [" ", "\"", "'", ":", "=", "(", ")", "\n", "\t", ", ", ". ", "é", "🚀", "/", ";", "<", ">"]

    /// The display form `Redactor` leaves of a credential: its prefix, then `<redacted>`.
    static func redactedForm(of credential: String) -> String {
        let prefix = credential.hasPrefix("eyJ") ? "eyJ" : Redactor.prefixes.first { credential.hasPrefix($0) } ?? ""
        return prefix + "<redacted>"
    }

    @Test("oracle: every generated credential is gone and the text around it is intact", arguments: [7, 8, 9] as [UInt64])
    func oracle(seed: UInt64) async {
        let failures = await offThePool { Self.oracleFailures(seed: seed) }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    static func oracleFailures(seed: UInt64) -> [String] {
        var random = SplitMix64(seed: seed)
        var failures: [String] = []
        for _ in 0..<1_000 {
            var text = ""
            var expected = ""
            var credentials: [String] = []
            for _ in 0..<random.int(1...8) {
                let piece: String
                let shown: String
                if random.chance(1, in: 3) {
                    piece = PlantedToken.credential(&random)
                    shown = Self.redactedForm(of: piece)
                    credentials.append(piece)
                } else {
                    piece = random.pick(Self.prose)
                    shown = piece
                }
                let separator = random.pick(Self.separators)
                text += piece + separator
                expected += shown + separator
            }
            let scrubbed = Redactor.scrub(text)
            let leaked = credentials.filter { scrubbed.contains($0) }
            if (scrubbed != expected || !leaked.isEmpty), failures.count < 5 {
                failures.append("\(text.debugDescription)\n  expected \(expected.debugDescription)\n  got      \(scrubbed.debugDescription)")
            }
        }
        return failures
    }

    static let huge: [(name: String, text: String)] = [
        ("10 MB without a prefix", String(repeating: "x", count: 10 << 20)),
        ("10 MB of one token-character run with a token at the end", String(repeating: "a", count: 10 << 20) + " envshed_svc_0123456789abcdef"),
        ("10 MB of prefixes", String(repeating: "envshed_", count: (10 << 20) / 8)),
        ("10 MB of prefixes in one run ending in a digit", String(repeating: "envshed_ghp_", count: (10 << 20) / 12) + "1"),
        ("10 MB of tokens", String(repeating: "envshed_svc_0123456789ab ", count: (10 << 20) / 25)),
        ("10 MB of JWT headers without a dot", String(repeating: "eyJhbGciOi", count: (10 << 20) / 10) + " eyJhbGciOiJSUzI1NiJ9.0123456789ab"),
        ("10 MB of dots after JWT headers", String(repeating: "eyJ.", count: (10 << 20) / 4) + " ghs_eyJhbGciOi.0123456789ab"),
        ("10 MB with a token at both ends", "envshed_svc_0123456789ab " + String(repeating: "é", count: 5 << 20) + " glpat-0123456789abcdefghij"),
    ]

    @Test("10 MB of hostile text is scrubbed in linear time", .timeLimit(.minutes(5)), arguments: huge.indices)
    func hugeText(index: Int) async {
        let (name, text) = Self.huge[index]
        let (scrubbed, took) = await offThePool {
            let started = threadCPUTime()
            let scrubbed = Redactor.scrub(text)
            return (scrubbed, threadCPUTime() - started)
        }
        #expect(took < .seconds(10), "\(name): \(took) of CPU") // 0.1 to 3 s in a debug build
        print("scrub \(name): \(took)")
        #expect(!scrubbed.contains("0123456789ab"), "\(name)")
    }
}
