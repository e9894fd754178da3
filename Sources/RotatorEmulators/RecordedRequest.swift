import Foundation

/// One request an emulator received, with the status it answered.
public struct RecordedRequest: Sendable {
    /// The HTTP method, uppercase (`GET`, `PUT`…).
    public let method: String
    /// The path as received, still percent-encoded, without the query.
    public let path: String
    /// The query string without the `?`, or nil when there was none.
    public let query: String?
    /// The status the emulator answered, including an injected fault's.
    public let status: Int
    /// When the answer was decided.
    public let at: Date

    /// Whether the request could have changed something: anything but `GET` and `HEAD`.
    public var isWrite: Bool {
        method != "GET" && method != "HEAD"
    }
}
