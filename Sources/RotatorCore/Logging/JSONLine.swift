import Foundation

/// One JSON object on one line, keys sorted: for log lines, audit records and request bodies,
/// which are written several times per step. `JSONSerialization` with sorted keys spends most of
/// a run's CPU on dynamic casts; this handles the few value types those documents hold (strings,
/// booleans, integers, objects, arrays, null), and nothing else.
enum JSONLine {
    static func encode(_ object: [String: Any]) -> String {
        var output = ""
        output.reserveCapacity(256)
        append(object, to: &output, indent: nil)
        return output
    }

    /// A JSON array of strings, on one line.
    static func encode(_ strings: [String]) -> String {
        var output = ""
        append(strings, to: &output, indent: nil)
        return output
    }

    /// The document on several lines, two spaces per level, `"key" : value` as
    /// `JSONSerialization`'s pretty printing writes it (for `--json` output, which a 5,000-rotation
    /// `plan --json` made slow through `JSONSerialization`).
    static func encodePretty(_ object: [String: Any]) -> String {
        var output = ""
        output.reserveCapacity(4_096)
        append(object, to: &output, indent: "")
        return output
    }

    /// - Parameter indent: the current line's indentation when pretty printing; nil: one line.
    private static func append(_ value: Any, to output: inout String, indent: String?) {
        switch value {
        case let text as String: appendString(text, to: &output)
        case let flag as Bool: output += flag ? "true" : "false"
        case let number as Int: output += String(number)
        case let number as Int64: output += String(number)
        case let number as Int32: output += String(number)
        case let number as Double: output += number.isFinite ? String(number) : "null"
        case let object as [String: Any]:
            let keys = object.keys.sorted()
            appendContainer("{", "}", count: keys.count, to: &output, indent: indent) { index, inner, output in
                appendString(keys[index], to: &output)
                output += inner == nil ? ":" : " : "
                append(object[keys[index]] ?? NSNull(), to: &output, indent: inner)
            }
        case let array as [Any]:
            appendContainer("[", "]", count: array.count, to: &output, indent: indent) { index, inner, output in
                append(array[index], to: &output, indent: inner)
            }
        case is NSNull: output += "null"
        default: appendString("\(value)", to: &output)
        }
    }

    /// An object or array: its elements separated by commas, each on its own line when pretty.
    private static func appendContainer(
        _ open: String, _ close: String, count: Int, to output: inout String, indent: String?,
        element: (Int, String?, inout String) -> Void
    ) {
        output += open
        guard count > 0 else {
            output += close
            return
        }
        let inner = indent.map { $0 + "  " }
        for index in 0..<count {
            if index > 0 { output += "," }
            if let inner { output += "\n" + inner }
            element(index, inner, &output)
        }
        if let indent { output += "\n" + indent }
        output += close
    }

    private static func appendString(_ text: String, to output: inout String) {
        // Almost every string (ids, names, paths, steps) needs no escape: copy it whole.
        if !text.utf8.contains(where: { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 }) {
            output += "\""
            output += text
            output += "\""
            return
        }
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                output += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
