import Foundation
import Hummingbird
import NIOCore

/// What every emulated service reads from a request the same way.
extension Request {
    /// The largest body an emulator reads; the real services refuse far smaller bodies for these
    /// calls already.
    static let maximumBodySize = 1 << 20

    /// The body as a JSON object.
    func jsonObjectBody() async throws(RequestBodyProblem) -> [String: JSONValue] {
        var request = self
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: Self.maximumBodySize)
        } catch {
            throw .tooLarge
        }
        guard let document = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView)) else {
            throw .notJSON
        }
        guard case .object(let fields) = document else { throw .notObject }
        return fields
    }

    /// All values of a header, joined as HTTP allows, or nil when it is absent.
    func joinedHeader(_ name: String) -> String? {
        let values = headers.filter { $0.name.canonicalName == name }.map(\.value)
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }
}
