import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An emulator's answer before it goes on the wire.
///
/// Status and headers stay plain values until the very end so that the request can be recorded
/// with its final status, and so that headers can be layered: the service's own headers first,
/// an injected fault's headers last (they win).
struct JSONResponse: Sendable {
    var status: Int
    /// The serialized body, or nil for an empty body (204, for instance).
    var body: String?
    /// Header names are kept lowercase; `setHeader` replaces an existing value.
    private(set) var headers: [(name: String, value: String)] = []

    /// A response whose body is `json`, serialized with sorted keys so that answers are stable.
    init(status: Int, json: JSONValue) {
        self.status = status
        self.body = Self.serialize(json)
    }

    /// A response with a body given verbatim (an injected fault's body), or none.
    init(status: Int, rawBody: String?) {
        self.status = status
        self.body = rawBody
    }

    /// A response with no body at all, such as `204 No Content`.
    static func empty(status: Int) -> JSONResponse {
        JSONResponse(status: status, rawBody: nil)
    }

    mutating func setHeader(_ name: String, _ value: String) {
        let lowercased = name.lowercased()
        headers.removeAll { $0.name == lowercased }
        headers.append((name: lowercased, value: value))
    }

    func header(_ name: String) -> String? {
        let lowercased = name.lowercased()
        return headers.first { $0.name == lowercased }?.value
    }

    /// The Hummingbird response; `contentType` is added when there is a body and no header set one.
    func makeResponse(contentType: String) -> Response {
        var fields = HTTPFields()
        for header in headers {
            // A name that is not a valid HTTP token (from a badly written fault) is dropped rather
            // than crashing the server: the test will notice the missing header.
            guard let name = HTTPField.Name(header.name) else { continue }
            fields.append(HTTPField(name: name, value: header.value))
        }
        let status = HTTPResponse.Status(code: status, reasonPhrase: HTTPReasonPhrase.phrase(for: status))
        guard let body else {
            return Response(status: status, headers: fields)
        }
        if fields[.contentType] == nil {
            fields[.contentType] = contentType
        }
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    private static func serialize(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding only fails for non-finite numbers, which no emulator produces.
        guard let data = try? encoder.encode(value) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }
}
