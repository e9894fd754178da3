import Foundation

/// A request path split on `/` into percent-decoded segments, matched against route patterns.
///
/// Splitting happens before decoding, so an encoded slash (`%2F`, as GitHub requires in
/// environment names) stays inside its segment instead of creating a new one.
struct RequestPath: Sendable {
    /// The path as received, still percent-encoded and without the query.
    let raw: String
    let segments: [String]

    /// Returns nil when a segment's percent-encoding is malformed (`%zz`): no route can match it.
    init?(raw: String) {
        self.raw = raw
        // Empty segments are kept ("/a//b", "/a/") so that such paths match no route, as on a real server.
        let rawSegments = raw.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var segments: [String] = []
        for rawSegment in rawSegments {
            guard let decoded = String(rawSegment).removingPercentEncoding else {
                return nil
            }
            segments.append(decoded)
        }
        self.segments = segments
    }

    /// Matches a pattern such as `"api/v1/service-tokens/{org}/{id}"`.
    ///
    /// - Returns: The values of the `{…}` placeholders in order, or nil when the path does not match.
    ///   A placeholder never matches an empty segment.
    func captures(_ pattern: String) -> [String]? {
        let parts = pattern.split(separator: "/")
        guard parts.count == segments.count else {
            return nil
        }
        var values: [String] = []
        for (part, segment) in zip(parts, segments) {
            if part.hasPrefix("{") && part.hasSuffix("}") {
                guard !segment.isEmpty else {
                    return nil
                }
                values.append(segment)
            } else if part != segment {
                return nil
            }
        }
        return values
    }
}
