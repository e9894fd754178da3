import Foundation
import Testing
@testable import RotatorCore

/// `JSONLine` replaces `JSONSerialization` for speed: what it writes must parse back to the same
/// document, and the pretty form must keep the layout scripts and tests grep for.
@Suite("JSON encoding")
struct JSONLineTests {
    static var document: [String: Any] { [
        "generated_at": "2026-11-29T13:48:21Z",
        "rotations": [
            ["id": "api", "due": true, "serial": 3, "token": NSNull(), "targets": ["github:acme/api/T", "gitlab:acme/api/T"]],
            ["id": "web \"quoted\" \\ back\nslash\t/", "due": false, "serial": Int64(12), "empty": [String: Any](), "none": [Any]()],
        ] as [Any],
        "exit_code": Int32(3),
        "ratio": 1.5,
        "control": "\u{01}\u{1F}é✓",
    ] }

    @Test("compact and pretty output parse back to the same document")
    func roundTrip() throws {
        for text in [JSONLine.encode(Self.document), JSONLine.encodePretty(Self.document)] {
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary, "\(text)")
            let expected = try #require(
                try JSONSerialization.jsonObject(with: JSONSerialization.data(withJSONObject: Self.document)) as? NSDictionary
            )
            #expect(parsed == expected, "\(text)")
        }
    }

    @Test("compact output is one line; pretty output is indented with \"key\" : value")
    func layout() {
        #expect(!JSONLine.encode(Self.document).contains("\n"))
        let pretty = JSONLine.encodePretty(["a": 1, "b": ["x": [1, 2]], "c": [String: Any]()])
        #expect(pretty == "{\n  \"a\" : 1,\n  \"b\" : {\n    \"x\" : [\n      1,\n      2\n    ]\n  },\n  \"c\" : {}\n}")
    }
}
