import Foundation
@testable import RotatorCore
import Testing

/// `Redactor` is the last line of defence of every error and log line, and runs on every value of
/// a plan and on error answers of any size: it must find every token, change nothing else, and
/// stay linear.
@Suite("Redactor under hostile text")
struct RedactorFuzzTests {
    /// The rule of `Redactor`'s comments, written the slow, obvious way, character by character:
    /// a prefix, then at least 12 token characters; after `envshed_`, a digit among them unless
    /// they start with `svc_`.
    static func reference(_ text: String) -> String {
        var result = ""
        var index = text.startIndex
        outer: while index < text.endIndex {
            for prefix in Redactor.prefixes where text[index...].hasPrefix(prefix) {
                let bodyStart = text.index(index, offsetBy: prefix.count)
                var end = bodyStart
                while end < text.endIndex, text[end].isASCII, text[end].isLetter || text[end].isNumber || text[end] == "_" || text[end] == "-" {
                    end = text.index(after: end)
                }
                let body = text[bodyStart..<end]
                if body.count >= 12, prefix != "envshed_" || body.contains(where: \.isNumber) || body.hasPrefix("svc_") {
                    result += prefix + "<redacted>"
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
                text += random.chance(1, in: 10) ? PlantedToken.any(&random) : random.pick(Self.fragments)
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

    static let huge: [(name: String, text: String)] = [
        ("10 MB without a prefix", String(repeating: "x", count: 10 << 20)),
        ("10 MB of one token-character run with a token at the end", String(repeating: "a", count: 10 << 20) + " envshed_svc_0123456789abcdef"),
        ("10 MB of prefixes", String(repeating: "envshed_", count: (10 << 20) / 8)),
        ("10 MB of prefixes in one run ending in a digit", String(repeating: "envshed_ghp_", count: (10 << 20) / 12) + "1"),
        ("10 MB of tokens", String(repeating: "envshed_svc_0123456789ab ", count: (10 << 20) / 25)),
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
