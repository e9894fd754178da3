import Foundation

/// One JSON object on one line, keys sorted: for log lines, audit records and request bodies,
/// which are written several times per step. `JSONSerialization` with sorted keys spends most of
/// a run's CPU on dynamic casts; this handles the few value types those documents hold (strings,
/// booleans, integers, objects, arrays, null), and nothing else.
enum JSONLine {
    static func encode(_ object: [String: Any]) -> String {
        var output = ""
        output.reserveCapacity(256)
        append(object, to: &output)
        return output
    }

    /// A JSON array of strings, on one line.
    static func encode(_ strings: [String]) -> String {
        var output = ""
        append(strings, to: &output)
        return output
    }

    private static func append(_ value: Any, to output: inout String) {
        switch value {
        case let text as String: appendString(text, to: &output)
        case let flag as Bool: output += flag ? "true" : "false"
        case let number as Int: output += String(number)
        case let number as Int64: output += String(number)
        case let number as Int32: output += String(number)
        case let number as Double: output += number.isFinite ? String(number) : "null"
        case let object as [String: Any]:
            output += "{"
            for (index, key) in object.keys.sorted().enumerated() {
                if index > 0 { output += "," }
                appendString(key, to: &output)
                output += ":"
                append(object[key] ?? NSNull(), to: &output)
            }
            output += "}"
        case let array as [Any]:
            output += "["
            for (index, element) in array.enumerated() {
                if index > 0 { output += "," }
                append(element, to: &output)
            }
            output += "]"
        case is NSNull: output += "null"
        default: appendString("\(value)", to: &output)
        }
    }

    private static func appendString(_ text: String, to output: inout String) {
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
