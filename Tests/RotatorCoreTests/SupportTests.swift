import Foundation
import RotatorCore
import Testing

@Suite("Secrets never print")
struct SupportTests {
    @Test("Secret is redacted in every textual form")
    func secretRedacted() {
        struct Holder { let token: Secret }
        let holder = Holder(token: Secret("envshed_svc_supersecretvalue"))
        var dumped = ""
        dump(holder, to: &dumped)
        for text in ["\(holder)", String(reflecting: holder), dumped, "\(holder.token)"] {
            #expect(!text.contains("supersecret"), "\(text)")
            #expect(text.contains("<redacted>"), "\(text)")
        }
    }

    @Test("fingerprint is 8 hex characters of the SHA-256")
    func fingerprint() {
        // SHA-256("abc") = ba7816bf 8f01cfea …
        #expect(Secret("abc").fingerprint == "ba7816bf")
    }

    @Test("the redactor scrubs token-shaped text", arguments: [
        ("token envshed_svc_abc123XYZdef456 done", "token envshed_<redacted> done"),
        ("ghp_0123456789abcdefABCDEF0123456789abcd", "ghp_<redacted>"),
        ("glpat-abc_DEF-123-xyz0 and envshed_0123456789abcdef", "glpat-<redacted> and envshed_<redacted>"),
        ("secret: envshed_token, path /etc/envshed_rotator/x", "secret: envshed_token, path /etc/envshed_rotator/x"),
        ("nothing to see", "nothing to see"),
    ])
    func redactor(input: String, expected: String) {
        #expect(Redactor.scrub(input) == expected)
    }

    @Test("credential references resolve from env, file and systemd, and refuse readable files")
    func credentials() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cred-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let privateFile = directory + "/token"
        try "from-file\n".write(toFile: privateFile, atomically: false, encoding: .utf8)
        chmod(privateFile, 0o600)
        let shared = directory + "/shared"
        try "x".write(toFile: shared, atomically: false, encoding: .utf8)
        chmod(shared, 0o644)

        let env = ["TOKEN": "from-env", "CREDENTIALS_DIRECTORY": directory]
        #expect(try CredentialReference(parsing: "env:TOKEN")?.resolve(environment: env) == Secret("from-env"))
        #expect(try CredentialReference(parsing: "file:\(privateFile)")?.resolve(environment: env) == Secret("from-file"))
        #expect(try CredentialReference(parsing: "systemd:token")?.resolve(environment: env) == Secret("from-file"))
        let refused = try #require(throws: CredentialError.self) {
            try CredentialReference(parsing: "file:\(shared)")?.resolve(environment: env)
        }
        #expect(refused.description.contains("readable by group or others"))
        #expect(refused.description.contains("chmod 600"))
        let missing = try #require(throws: CredentialError.self) { try CredentialReference(parsing: "env:NOPE")?.resolve(environment: env) }
        #expect(missing.description == "credential env:NOPE: the environment variable NOPE is not set or empty")
        #expect(CredentialReference(parsing: "hunter2") == nil)
        #expect(CredentialReference(parsing: "file:relative/path") == nil)
    }
}
