/// Finds a YAML alias used as a mapping key (`*name : value`, `? *name`) in the plan's text,
/// before Yams composes it.
///
/// Yams checks every mapping for duplicate keys while composing, by hashing each key whole; a key
/// that is an alias of a "billion laughs" list is hashed through all its expanded values, which
/// takes hours, and `PlanChecks.expandedSize` only runs on the composed tree. A plan has no use
/// for a key that is not a plain word, so such a key is refused outright.
///
/// The scan reads the text, not YAML tokens: it skips comments and quoted text on each line and
/// looks for `*` (after a line start, a space or a flow indicator) followed by an anchor name and
/// then `:`, or for `?` followed by `*`. A quoted scalar spread over several lines may hide one
/// (then Yams is left to compose it) or, in an odd plan, be refused with this message; both are
/// acceptable for a check that only runs when the plan defines anchors.
enum AliasKeyScanner {
    /// Where the first alias used as a key starts (1-based line and column), or nil.
    static func firstAliasKey(in text: String) -> (line: Int, column: Int)? {
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let bytes = Array(line.utf8)
            if let column = aliasKeyColumn(in: bytes) {
                return (lineNumber, String(decoding: bytes[..<column], as: UTF8.self).unicodeScalars.count + 1)
            }
        }
        return nil
    }

    /// The byte offset of the `*` of an alias used as a key in one line, or nil.
    private static func aliasKeyColumn(in line: [UInt8]) -> Int? {
        var quote: UInt8?
        var index = 0
        while index < line.count {
            let byte = line[index]
            if let open = quote {
                if byte == open { quote = nil }
                index += 1
                continue
            }
            let previous = index == 0 ? UInt8(ascii: " ") : line[index - 1]
            let afterSeparator = isSpace(previous) || isFlowIndicator(previous)
            switch byte {
            case UInt8(ascii: "\"") where afterSeparator, UInt8(ascii: "'") where afterSeparator:
                quote = byte
            case UInt8(ascii: "#") where isSpace(previous) || index == 0:
                return nil
            case UInt8(ascii: "?") where afterSeparator:
                var next = index + 1
                while next < line.count, isSpace(line[next]) { next += 1 }
                if next > index + 1, next < line.count, line[next] == UInt8(ascii: "*") { return next }
            case UInt8(ascii: "*") where afterSeparator:
                var end = index + 1
                while end < line.count, isAnchorByte(line[end]) { end += 1 }
                var next = end
                while next < line.count, isSpace(line[next]) { next += 1 }
                let colonFollows = next < line.count && line[next] == UInt8(ascii: ":")
                let colonEnds = next + 1 >= line.count || isSpace(line[next + 1]) || isFlowIndicator(line[next + 1])
                if end > index + 1, colonFollows, colonEnds { return index }
                index = end
                continue
            default:
                break
            }
            index += 1
        }
        return nil
    }

    /// libyaml's anchor names: ASCII letters, digits, `_` and `-`.
    private static func isAnchorByte(_ byte: UInt8) -> Bool {
        ASCIIText.isLetter(byte) || ASCIIText.isDigit(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    private static func isFlowIndicator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") || byte == UInt8(ascii: ",")
            || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}")
    }
}
