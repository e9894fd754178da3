/// "did you mean `expires_in_days`?" for a misspelt key: the closest allowed key by edit distance,
/// when it is close enough to be a plausible typo.
enum KeySuggester {
    static func suggestion(for key: String, among allowed: [String]) -> String? {
        let scored = allowed.map { ($0, distance(key.lowercased(), $0)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        let limit = max(2, key.count / 3)
        return best.1 <= limit ? best.0 : nil
    }

    static func distance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs)
        let b = Array(rhs)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            previous = current
        }
        return previous[b.count]
    }
}
