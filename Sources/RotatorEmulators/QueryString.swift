import Foundation

/// A request's query string, percent-decoded into name → value (the last one wins), the way a
/// Rails or Go server reads `filter%5Benvironment_scope%5D=production` as `filter[environment_scope]`.
enum QueryString {
    static func parameters(_ query: String?) -> [String: String] {
        guard let query, !query.isEmpty else { return [:] }
        var result: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(String(parts[0]))
            let value = parts.count > 1 ? decode(String(parts[1])) : ""
            result[name] = value
        }
        return result
    }

    private static func decode(_ text: String) -> String {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? text
    }
}
