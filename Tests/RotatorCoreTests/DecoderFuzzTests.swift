import Foundation
import Logging
import Testing
import _CryptoExtras

@testable import RotatorCore

/// Hostile services: `EnvshedClient` and every target driven through a transport that answers
/// with random statuses, random headers and random or malicious bodies. Whatever comes back, each
/// call returns or throws its typed error (`EnvshedError`, `TargetError`) with a message, quickly,
/// and no error ever prints a token that the service put in its answer.
///
/// Whatever an Envshed call decodes when it succeeds is checked against an oracle: the answer it
/// was given (`Exchange`), read independently by the test.
///
/// A failure names the seed and the case number: rerun the test with that seed to replay it.
@Suite("API answer decoders fuzzing")
struct DecoderFuzzTests {
    static let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
    static let envshedURL = URL(string: "https://envshed.test")!
    static let githubURL = URL(string: "https://github.test/api/v3")!
    static let gitlabURL = URL(string: "https://gitlab.test/api/v4")!
    static let kubernetesURL = URL(string: "https://kubernetes.test:6443")!

    static let seeds: [UInt64] = [11, 12, 13, 14, 15, 16, 17, 18]
    static let casesPerSeed = 600
    /// A call takes milliseconds. The bound is generous because it is wall-clock time: with the
    /// whole suite running on two cores, an awaiting call can wait many seconds for a thread while
    /// synchronous tests hold both. A hang still trips it.
    static let perCaseLimit: Duration = .seconds(60)

    // MARK: - Hostile answers

    /// The service: answers each request from a seeded generator and remembers every token it put
    /// in an answer, so that the test can look for them in the errors.
    final class HostileService: @unchecked Sendable {
        private let lock = NSLock()
        private var random: SplitMix64
        private var planted: [String] = []
        private var given: [Exchange] = []
        /// Answers per request, for the deterministic table: when set, used instead of the generator.
        private let fixed: (@Sendable (HTTPRequest) -> HTTPResponse)?

        init(seed: UInt64) {
            random = SplitMix64(seed: seed)
            fixed = nil
        }

        init(fixed: @escaping @Sendable (HTTPRequest) -> HTTPResponse, planted: [String]) {
            random = SplitMix64(seed: 0)
            self.fixed = fixed
            self.planted = planted
        }

        var tokens: [String] { lock.withLock { planted } }

        /// Every answer given since the last `forgetTokens`.
        var exchanges: [Exchange] { lock.withLock { given } }

        func forgetTokens() {
            lock.withLock {
                planted.removeAll()
                given.removeAll()
            }
        }

        var transport: ScriptedTransport {
            ScriptedTransport { [self] request in try self.answer(request) }
        }

        func answer(_ request: HTTPRequest) throws -> HTTPResponse {
            if let fixed {
                let response = fixed(request)
                lock.withLock { given.append(Exchange(request: request, response: response, intact: false)) }
                return response
            }
            return try lock.withLock { () throws -> HTTPResponse in
                let (response, intact) = try DecoderFuzzTests.hostileAnswer(to: request, random: &random, planted: &planted)
                given.append(Exchange(request: request, response: response, intact: intact))
                return response
            }
        }
    }

    /// One request and the answer the hostile service gave it; `intact` when the body is the
    /// well-formed answer of `plausible`, untouched.
    struct Exchange: Sendable {
        let request: HTTPRequest
        let response: HTTPResponse
        let intact: Bool
    }

    static let statuses = [200, 201, 202, 204, 301, 304, 400, 401, 403, 404, 409, 410, 422, 429, 500, 502, 503, 504, 0, -1, 99, 600, 999, Int.max, Int.min]

    static func hostileAnswer(to request: HTTPRequest, random: inout SplitMix64, planted: inout [String]) throws -> (HTTPResponse, intact: Bool) {
        if random.chance(1, in: 30) {
            throw random.chance(1, in: 2)
                ? TransportError.timedOut(request: request.summary, seconds: 30)
                : TransportError.unreachable(request: request.summary, reason: "connection reset by peer")
        }
        // Mostly the status the call hopes for, so that decoding gets exercised; often anything.
        let hoped = request.method == "POST" ? 201 : (request.method == "DELETE" ? 204 : 200)
        // A documented answer, untouched, for one call in five: what decodes must equal what was
        // encoded (the oracle), and it takes answers the decoder must accept to check that.
        if random.chance(1, in: 5) {
            let status = random.chance(4, in: 5) ? hoped : random.pick(statuses)
            let body = Data(try serialize(plausible(for: request, random: &random, planted: &planted)))
            return (HTTPResponse(status: status, body: body), true)
        }
        var status = random.chance(3, in: 5) ? hoped : random.pick(statuses)
        if status == 409, request.url.host == kubernetesURL.host, random.chance(3, in: 4) { status = 500 } // 409s sleep for real there
        var headers: [String: String] = [:]
        for _ in 0..<random.int(0...4) {
            headers[random.pick(headerNames)] = hostileHeaderValue(&random, planted: &planted)
        }
        let body: Data
        switch random.int(0..<10) {
        case 0: body = Data(random.bytes(random.int(0...2_048)))
        case 1: body = Data()
        case 2:
            var bytes = try serialize(plausible(for: request, random: &random, planted: &planted))
            bytes.removeLast(random.int(0..<max(1, bytes.count)))
            body = Data(bytes)
        case 3: body = Data(errorBody(&random, planted: &planted).utf8)
        default:
            var json = plausible(for: request, random: &random, planted: &planted)
            for _ in 0..<random.int(1...4) { json = corrupt(json, random: &random, planted: &planted, depth: 0) }
            body = Data(try serialize(json))
        }
        return (HTTPResponse(status: status, headers: headers, body: body), false)
    }

    static let headerNames = [
        "retry-after", "x-ratelimit-remaining", "x-ratelimit-reset", "ratelimit-reset", "ratelimit-name", "ratelimit-resettime",
        "x-accepted-github-permissions", "x-github-request-id", "x-request-id", "content-type", "location", "www-authenticate",
    ]

    static func hostileHeaderValue(_ random: inout SplitMix64, planted: inout [String]) -> String {
        switch random.int(0..<8) {
        case 0: return plant(&random, &planted)
        case 1: return String(repeating: "9", count: random.int(1...400))
        case 2: return random.pick(["", "0", "-1", "inf", "nan", "1e300", "Tue, 14 Nov 2023 22:13:50 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "application/json"])
        case 3: return "secrets=write; " + plant(&random, &planted)
        default: return String(random.int(-100...100_000))
        }
    }

    static func plant(_ random: inout SplitMix64, _ planted: inout [String]) -> String {
        let token = random.chance(1, in: 6) ? PlantedToken.withoutDigits(&random) : PlantedToken.any(&random)
        planted.append(token)
        return token
    }

    /// An error body as the services write them, with a token somewhere in it.
    static func errorBody(_ random: inout SplitMix64, planted: inout [String]) -> String {
        let token = plant(&random, &planted)
        let text = "invalid credential \(token) for this request"
        let escaped = String(data: try! JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed]), encoding: .utf8)!.dropFirst().dropLast()
        return random.pick([
            #"{"error": \#(escaped)}"#,
            #"{"message": \#(escaped)}"#,
            #"{"error": {"message": \#(escaped), "code": 17}}"#,
            #"{"message": {"value": [\#(escaped)], "key": ["has already been taken"]}}"#,
            #"{"kind": "Status", "status": "Failure", "reason": \#(escaped), "message": \#(escaped), "code": 422}"#,
            #"{"message": "API rate limit exceeded", "documentation_url": \#(escaped)}"#,
            text,
            String(repeating: " ", count: random.int(0...400)) + text + String(repeating: "x", count: random.int(0...400)),
            "<html><body><h1>502 Bad Gateway</h1><!-- \(token) --></body></html>",
        ])
    }

    /// A well-formed answer for the endpoint, with tokens where a service could put them.
    static func plausible(for request: HTTPRequest, random: inout SplitMix64, planted: inout [String]) -> Any {
        let path = request.url.path
        let now = Timestamp.format(Date())
        let id: Any = random.chance(1, in: 2) ? "0d6e0000-0000-4000-8000-\(random.alphanumeric(12).lowercased())" : random.int(1...1_000_000)
        func token() -> [String: Any] {
            ["id": id, "name": "deploy \(random.int(1...9))", "description": "managed-by=envshed-rotator rotation=api serial=1",
             "scope": "environment", "permission": "read", "expiresAt": now, "createdAt": now, "revokedAt": NSNull(), "active": true] as [String: Any]
        }
        switch (request.url.host, request.method) {
        case (envshedURL.host, "POST"):
            var created = token()
            created["token"] = plant(&random, &planted)
            return random.chance(1, in: 2) ? created as Any : ["serviceToken": created] as [String: Any]
        case (envshedURL.host, "GET") where path.contains("/service-tokens/"):
            let list = (0..<random.int(0...5)).map { _ in token() }
            return random.chance(1, in: 2) ? list as Any : ["serviceTokens": list, "total": list.count] as [String: Any]
        case (envshedURL.host, "GET"):
            return ["secrets": ["DATABASE_URL": plant(&random, &planted), "REDIS_URL": "redis://x"], "version": 7, "decryptErrors": ["LEGACY"]] as [String: Any]
        case (githubURL.host, "POST"):
            return ["token": "ghs_" + random.alphanumeric(35) + "1", "expires_at": Timestamp.format(Date().addingTimeInterval(3_600))] as [String: Any]
        case (githubURL.host, "GET") where path.hasSuffix("/public-key"):
            let keyID: Any = random.chance(1, in: 2) ? "568250167242549743" : 568_250_167_242_549_743
            return ["key_id": keyID, "key": Data(random.bytes(32)).base64EncodedString()] as [String: Any]
        case (githubURL.host, "GET") where path.hasSuffix("/repositories"):
            return ["total_count": 2, "repositories": [["full_name": "acme/api", "id": 1], ["full_name": "acme/web", "id": 2]] as [[String: Any]]] as [String: Any]
        case (githubURL.host, "GET") where path.contains("/secrets/"):
            return ["name": "ENVSHED_TOKEN", "created_at": now, "updated_at": now, "visibility": "selected",
                    "selected_repositories_url": "https://github.test/api/v3/orgs/acme/actions/secrets/ENVSHED_TOKEN/repositories"] as [String: Any]
        case (githubURL.host, "GET"):
            return ["id": random.int(1...1_000_000), "full_name": "acme/api", "private": true] as [String: Any]
        case (gitlabURL.host, _):
            return ["key": "ENVSHED_TOKEN", "value": plant(&random, &planted), "variable_type": "env_var", "protected": random.chance(1, in: 2),
                    "masked": true, "hidden": random.chance(1, in: 3), "raw": true, "environment_scope": random.pick(["*", "production"]),
                    "description": NSNull()] as [String: Any]
        case (kubernetesURL.host, "GET"):
            return ["kind": "Secret", "apiVersion": "v1", "metadata": ["name": "envshed", "namespace": "api", "resourceVersion": "42"],
                    "data": ["ENVSHED_TOKEN": Data(plant(&random, &planted).utf8).base64EncodedString(), "OTHER": "b3RoZXI="], "type": "Opaque"] as [String: Any]
        case (kubernetesURL.host, _):
            return ["kind": "Secret", "apiVersion": "v1", "metadata": ["name": "envshed", "namespace": "api"]] as [String: Any]
        default:
            return [:] as [String: Any]
        }
    }

    /// Replaces one value somewhere in `json` (or `json` itself) with something of the wrong kind.
    static func corrupt(_ json: Any, random: inout SplitMix64, planted: inout [String], depth: Int) -> Any {
        if depth < 4, random.chance(3, in: 4) {
            if var object = json as? [String: Any], !object.isEmpty {
                let key = object.keys.sorted()[random.int(0..<object.count)]
                if random.chance(1, in: 8) {
                    object.removeValue(forKey: key)
                } else {
                    object[key] = corrupt(object[key]!, random: &random, planted: &planted, depth: depth + 1)
                }
                return object
            }
            if var array = json as? [Any], !array.isEmpty {
                let index = random.int(0..<array.count)
                array[index] = corrupt(array[index], random: &random, planted: &planted, depth: depth + 1)
                return array
            }
        }
        switch random.int(0..<14) {
        case 0: return NSNull()
        case 1: return random.int(Int.min...Int.max)
        case 2: return random.pick([0.5, -0.0, 1e308, -1e308, Double.leastNonzeroMagnitude])
        case 3: return random.chance(1, in: 2)
        case 4: return ""
        case 5: return String(repeating: random.pick(["a", "é", "\u{0}", "\"", "\\", "🚀", "\u{202E}"]), count: random.int(1...100_000))
        case 6: return plant(&random, &planted)
        case 7: return [json]
        case 8: return ["value": json]
        case 9: return [String]()
        case 10: return [String: Any]()
        case 11: return (0..<random.int(1...50)).map { _ in plant(&random, &planted) }
        case 12: return random.pick(["2026-13-45T99:99:99Z", "yesterday", "1700000000", "0000-00-00", "9999-12-31T23:59:59Z", "-292277022657-01-27T08:29:52Z"])
        default:
            var nested: Any = json
            for _ in 0..<random.int(1...200) { nested = random.chance(1, in: 2) ? [nested] : ["a": nested] }
            return nested
        }
    }

    static func serialize(_ json: Any) throws -> [UInt8] {
        // Sorted keys: the same seed gives the same bytes in every process.
        Array(try JSONSerialization.data(withJSONObject: json, options: [.fragmentsAllowed, .sortedKeys]))
    }

    // MARK: - What is called

    /// Every call under test: a name and the call, which returns the error it threw (nil when it
    /// succeeded).
    struct Call: Sendable {
        let name: String
        /// What decodes the answers: the Envshed call, or the operation and the kind of target.
        var decoder: String = ""
        private let body: @Sendable () async -> Outcome

        init(name: String, decoder: String? = nil, run: @escaping @Sendable () async -> (any Error & CustomStringConvertible)?) {
            self.name = name
            self.decoder = decoder ?? name
            self.body = { Outcome(error: await run(), decoded: nil) }
        }

        init(name: String, outcome: @escaping @Sendable () async -> Outcome) {
            self.name = name
            self.decoder = name
            self.body = outcome
        }

        /// The error the call threw, nil when it succeeded.
        func run() async -> (any Error & CustomStringConvertible)? { await body().error }

        func outcome() async -> Outcome { await body() }
    }

    /// What an Envshed call decoded from the answers, for the oracle to check.
    enum Decoded: Sendable {
        case tokens(ids: [String])
        case created(id: String, value: String)
        /// `revoke`'s answer: true revoked now, false already gone.
        case revoked(Bool)
        case pulled(keys: [String])
    }

    struct Outcome: Sendable {
        var error: (any Error & CustomStringConvertible)?
        var decoded: Decoded?
    }

    static func outcome<Value>(_ body: () async throws(EnvshedError) -> Value, _ decode: (Value) -> Decoded) async -> Outcome {
        do {
            return Outcome(error: nil, decoded: decode(try await body()))
        } catch {
            return Outcome(error: error, decoded: nil)
        }
    }

    /// The oracle: what a successful Envshed call decoded, checked against the answer it got, read
    /// by the test on its own. Success needs a documented success status (docs/envshed-api.md), a
    /// JSON body of the documented shape, and a result equal to what that body encodes.
    static func oracleProblems(_ decoded: Decoded, exchanges: [Exchange]) -> [String] {
        guard var last = exchanges.last else { return ["succeeded without asking the service anything"] }
        // A create without an expiry, and a revoke answered 404, go on to read the token list:
        // what decides them is the POST's or the DELETE's own answer.
        switch decoded {
        case .created: last = exchanges.first { $0.request.method == "POST" } ?? last
        case .revoked(let revoked):
            last = exchanges.first { $0.request.method == "DELETE" } ?? last
            if !revoked, !exchanges.contains(where: { $0.request.method == "GET" }) {
                return ["revoke said already gone on HTTP \(last.response.status) without the list confirming it"]
            }
        default: break
        }
        let status = last.response.status
        let json = try? JSONSerialization.jsonObject(with: last.response.body, options: [.fragmentsAllowed])
        switch decoded {
        case .revoked(let revoked):
            let expected: Bool? = [200, 202, 204].contains(status) ? true : ([404, 410].contains(status) ? false : nil)
            guard let expected else { return ["revoke counted as done on HTTP \(status)"] }
            return revoked == expected ? [] : ["revoke said \(revoked ? "revoked" : "already gone") on HTTP \(status)"]
        case .tokens(let ids):
            guard status == 200 else { return ["a token list decoded from HTTP \(status)"] }
            guard let json else { return ["a token list of \(ids.count) decoded from an answer that is not JSON"] }
            let encoded = (json as? [Any]) ?? (json as? [String: Any]).flatMap { object in
                object["serviceTokens"] as? [Any] ?? object.values.compactMap { $0 as? [Any] }.first
            }
            guard let encoded else { return ["a token list of \(ids.count) decoded from JSON holding no list"] }
            let encodedIDs = encoded.compactMap { ($0 as? [String: Any])?["id"] }.map { "\($0)" }
            if last.intact, ids != encodedIDs { return ["decoded tokens \(ids), the answer encoded \(encodedIDs)"] }
            let invented = ids.filter { !encodedIDs.contains($0) }
            return invented.isEmpty ? [] : ["decoded token ids the answer does not hold: \(invented)"]
        case .created(let id, let value):
            guard [200, 201].contains(status) else { return ["a created token decoded from HTTP \(status)"] }
            guard json is [String: Any] else { return ["a created token decoded from an answer that is not a JSON object"] }
            if last.response.body.range(of: Data(value.utf8)) == nil { return ["the created token's value is not in the answer"] }
            if last.intact, let object = json as? [String: Any] {
                let created = object["serviceToken"] as? [String: Any] ?? object
                if created["token"] as? String != value || "\(created["id"] ?? "")" != id {
                    return ["decoded token \(id) with another value than the answer encoded"]
                }
            }
            return []
        case .pulled(let keys):
            guard status == 200 else { return ["a pull decoded from HTTP \(status)"] }
            guard let secrets = (json as? [String: Any])?["secrets"] as? [String: Any] else { return ["a pull decoded from an answer with no secrets object"] }
            return keys == secrets.keys.sorted() ? [] : ["decoded keys \(keys), the answer encoded \(secrets.keys.sorted())"]
        }
    }

    /// What the bot holds: none of it may ever reach an error either.
    static let ownSecrets = [
        "envshed_svc_BotCredential0123456789abcdefghijklmn", "ghp_0123456789abcdefghijklmnopqrstuvwxyz", "glpat-0123456789abcdefghij",
        "eyJhbGciOiJSUzI1NiJ9.kubernetes", "envshed_svc_PushedValue0123456789abcdefghij", "envshed_svc_NewToken0123456789",
    ]

    static let appKey: String = (try? _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation) ?? ""

    /// The clients and targets of a plan with every kind of target, all talking to `transport`;
    /// file targets write under `directory`.
    static func calls(transport: any HTTPTransport, directory: String) throws -> [Call] {
        let credential = Secret(ownSecrets[0])
        let envshed = EnvshedClient(transport: transport, baseURL: envshedURL, org: "acme", credential: credential)
        let newToken = NewServiceToken(
            name: "deploy", description: "managed-by=envshed-rotator rotation=api serial=1", scope: .environment,
            projectID: "3f1c2b7e-0000-4000-8000-000000000001", environmentID: "9ab20000-0000-4000-8000-000000000002",
            permission: .read, expiresInDays: 30
        )
        var calls: [Call] = [
            Call(name: "envshed create") {
                await outcome({ () async throws(EnvshedError) in try await envshed.create(newToken, logger: logger) }) { created in
                    .created(id: created.token.id, value: created.value.withRevealed { $0 })
                }
            },
            Call(name: "envshed list") {
                await outcome({ () async throws(EnvshedError) in try await envshed.listTokens(logger: logger) }) { .tokens(ids: $0.map(\.id)) }
            },
            Call(name: "envshed revoke") {
                await outcome({ () async throws(EnvshedError) in try await envshed.revoke(tokenID: "0d6e0000-0000-4000-8000-000000000003", logger: logger) }) {
                    .revoked($0)
                }
            },
            Call(name: "envshed pull") {
                await outcome({ () async throws(EnvshedError) in
                    try await envshed.pull(project: "api", environment: "production", with: Secret(ownSecrets[5]), logger: logger)
                }) { .pulled(keys: $0.keys) }
            },
        ]

        let tokenGitHub = GitHubClient(transport: transport, baseURL: githubURL, credential: Secret(ownSecrets[1]))
        let app = GitHubAppSettings(appID: 12345, installationID: 678, privateKey: .file("/unused"))
        let appGitHub = try GitHubClient(transport: transport, baseURL: githubURL, app: app, privateKeyPEM: Secret(appKey), now: { Date() })
        let gitlab = GitLabClient(transport: transport, baseURL: gitlabURL, credential: Secret(ownSecrets[2]), authentication: .privateToken)
        let kubernetes = KubernetesClient(
            transport: transport,
            endpoint: KubernetesEndpoint(apiURL: kubernetesURL, token: Secret(ownSecrets[3]), credentialName: "providers.kubernetes.token")
        )
        let targets = try planTargets(directory: directory)
        for (label, github) in [("token", tokenGitHub), ("app", appGitHub)] {
            let factory = TargetFactory(github: github, gitlab: gitlab, kubernetes: kubernetes)
            for target in targets where label == "token" || target.provider == .github {
                let writer = try factory.make(target)
                let value = Secret(ownSecrets[4])
                let receipt = PushReceipt(startedAt: Date(), created: false, valueDigest: value.withRevealed { SHA256Digest.hex(of: Array($0.utf8)) })
                let kind = "\(target.kind)".prefix(while: { $0 != "(" }) + (label == "app" ? " as an App" : "")
                calls.append(Call(name: "push \(target.label) (\(label))", decoder: "push \(kind)") {
                    await failure { () async throws(TargetError) in _ = try await writer.push(value, logger: logger) }
                })
                calls.append(Call(name: "verify \(target.label) (\(label))", decoder: "verify \(kind)") {
                    await failure { () async throws(TargetError) in _ = try await writer.verify(receipt, logger: logger) }
                })
            }
        }
        return calls
    }

    /// Every kind of target the plans in `PlanFixtures` declare, the files moved into `directory`.
    /// Parsed once per directory: the calls are rebuilt for every fixed answer.
    static func planTargets(directory: String) throws -> [Target] {
        if let cached = targetCache.withLock({ $0[directory] }) { return cached }
        let targets = try parseTargets(directory: directory)
        targetCache.withLock { $0[directory] = targets }
        return targets
    }

    static let targetCache = Locked<[String: [Target]]>([:])

    static func parseTargets(directory: String) throws -> [Target] {
        let allKinds = PlanFixtures.allKinds
            .replacingOccurrences(of: "/tmp/envshed-rotator-test-token-2", with: "\(directory)/second-token")
            .replacingOccurrences(of: "/tmp/envshed-rotator-test-token", with: "\(directory)/token")
        var targets = try PlanLoader.parse(allKinds, file: "plan.yaml").rotations.flatMap(\.targets)
        targets += try PlanLoader.parse(PlanFixtures.valid, file: "plan.yaml").rotations.flatMap(\.targets)
        let kinds = Set(targets.map { "\($0.kind)".prefix(while: { $0 != "(" }) })
        precondition(kinds.count == 6, "expected every kind of target, got \(kinds)")
        return targets
    }

    final class Locked<Value>: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Value
        init(_ value: Value) { self.value = value }
        func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
            lock.lock()
            defer { lock.unlock() }
            return body(&value)
        }
    }

    static func failure<Failure: Error & CustomStringConvertible>(_ body: () async throws(Failure) -> Void) async -> (any Error & CustomStringConvertible)? {
        do {
            try await body()
            return nil
        } catch {
            return error
        }
    }

    /// The problems with what one call did.
    static func problems(_ error: (any Error & CustomStringConvertible)?, planted: [String], took: Duration, limit: Duration = perCaseLimit) -> [String] {
        var problems: [String] = []
        if took > limit { problems.append("took \(took), over \(limit)") }
        guard let error else { return problems }
        if !(error is EnvshedError || error is TargetError) { problems.append("threw \(type(of: error)), not a typed error") }
        let description = error.description
        if description.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { problems.append("an empty error description") }
        // A message, a reason and a hint quoted from the service, each capped (HTTPResponse.quote),
        // plus what this tool says: a 2 MB message must not become a 2 MB log line.
        if description.utf8.count > 2_000 { problems.append("an error description of \(description.utf8.count) bytes: \(description.prefix(200))…") }
        let bytes = Data(description.utf8)
        for token in planted + ownSecrets where leaks(token, in: bytes) {
            problems.append("the error echoes a token the service sent (\(token.prefix(16))…): \(description.prefix(1_500))")
        }
        if Redactor.scrub(description) != description {
            problems.append("the error holds something token-shaped: \(description.prefix(1_500))")
        }
        return problems
    }

    /// The token, or its prefix and first 6 secret characters (what a cut inside it would leave),
    /// or its last 10 characters, appear in `text`. Searched as bytes: descriptions can be
    /// megabytes long when a service sends a huge message.
    static func leaks(_ token: String, in text: String) -> Bool {
        leaks(token, in: Data(text.utf8))
    }

    static func leaks(_ token: String, in bytes: Data) -> Bool {
        guard let prefix = Redactor.prefixes.filter({ token.hasPrefix($0) }).max(by: { $0.count < $1.count }) else {
            return bytes.range(of: Data(token.utf8)) != nil
        }
        let secretStart = token.hasPrefix("envshed_svc_") ? "envshed_svc_".count : prefix.count
        let pieces = [token.prefix(secretStart + 6), token.suffix(10)]
        return pieces.contains { bytes.range(of: Data($0.utf8)) != nil }
    }

    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("decoder-fuzz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    // MARK: - Tests

    @Test("random statuses, headers and bodies: a typed error with a message, never a token", .timeLimit(.minutes(5)), arguments: seeds)
    func fuzzAnswers(seed: UInt64) async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let service = HostileService(seed: seed)
        let calls = try Self.calls(transport: service.transport, directory: directory)
        var random = SplitMix64(seed: seed ^ 0xCA11)
        var failures: [String] = []
        var outcomes = (succeeded: 0, failed: 0, checked: 0)
        var slowest = Duration.zero
        let started = ContinuousClock.now
        for number in 0..<Self.casesPerSeed {
            let call = random.pick(calls)
            service.forgetTokens()
            let begun = ContinuousClock.now
            let outcome = await call.outcome()
            let error = outcome.error
            let took = begun.duration(to: .now)
            slowest = max(slowest, took)
            var problems = Self.problems(error, planted: service.tokens, took: took)
            if let decoded = outcome.decoded {
                problems += Self.oracleProblems(decoded, exchanges: service.exchanges)
                if service.exchanges.last?.intact == true { outcomes.checked += 1 }
            }
            if error == nil { outcomes.succeeded += 1 } else { outcomes.failed += 1 }
            if !problems.isEmpty, failures.count < 5 {
                failures.append("seed \(seed), case \(number), \(call.name):\n" + problems.map { "  - \($0)" }.joined(separator: "\n"))
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n\n"))")
        #expect(outcomes.failed > 0)
        #expect(outcomes.checked > 0, "no Envshed call decoded an intact answer: the oracle compared nothing")
        print("seed \(seed): \(Self.casesPerSeed) calls in \(started.duration(to: .now)), slowest \(slowest); \(outcomes.succeeded) succeeded (\(outcomes.checked) against an intact answer), \(outcomes.failed) failed")
    }

    /// The oracle itself can fail: decoders that answer an empty list for garbage, take any 404 as
    /// revoked, or drop a token from a list are all caught.
    @Test("the oracle rejects an empty list decoded from garbage, a revoke done on any status, a list missing a token")
    func oracleCatchesWrongDecoders() throws {
        func exchange(_ status: Int, _ body: String, intact: Bool = false) throws -> [Exchange] {
            let request = HTTPRequest(method: "GET", url: try #require(URL(string: "https://envshed.test/api/v1/service-tokens/acme")), headers: [:], body: nil)
            return [Exchange(request: request, response: HTTPResponse(status: status, body: Data(body.utf8)), intact: intact)]
        }
        #expect(!Self.oracleProblems(.tokens(ids: []), exchanges: try exchange(200, "<html>oops</html>")).isEmpty)
        #expect(!Self.oracleProblems(.tokens(ids: []), exchanges: try exchange(200, #"{"a": 1}"#)).isEmpty)
        #expect(!Self.oracleProblems(.tokens(ids: ["a"]), exchanges: try exchange(200, #"[{"id": "a"}, {"id": "b"}]"#, intact: true)).isEmpty)
        #expect(Self.oracleProblems(.tokens(ids: ["a", "b"]), exchanges: try exchange(200, #"[{"id": "a"}, {"id": "b"}]"#, intact: true)).isEmpty)
        #expect(!Self.oracleProblems(.revoked(true), exchanges: try exchange(404, "{}")).isEmpty)
        #expect(!Self.oracleProblems(.revoked(false), exchanges: try exchange(500, "{}")).isEmpty)
        #expect(Self.oracleProblems(.revoked(true), exchanges: try exchange(204, "")).isEmpty)
        #expect(!Self.oracleProblems(.pulled(keys: []), exchanges: try exchange(200, #"{"secrets": {"A": "1"}}"#)).isEmpty)
    }

    @Test("a revoke is done (revoked, or already gone) only on the statuses the oracle accepts, whatever the body", arguments: statuses)
    func revokeDoneOnlyWhenTheOracleSaysSo(status: Int) async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for body in ["", "{}", #"{"error": "Service token not found"}"#, "<html>404</html>"] {
            let service = HostileService(fixed: { _ in HTTPResponse(status: status, body: Data(body.utf8)) }, planted: [])
            let revoke = try #require(try Self.calls(transport: service.transport, directory: directory).first { $0.name == "envshed revoke" })
            let outcome = await revoke.outcome()
            if let decoded = outcome.decoded {
                let problems = Self.oracleProblems(decoded, exchanges: service.exchanges)
                #expect(problems.isEmpty, "HTTP \(status), body \(body.debugDescription): \(problems)")
            }
        }
    }

    /// Bodies that carry a token where each service puts its error message.
    static let tokenBodies: [String] = {
        var random = SplitMix64(seed: 0xB0D1)
        var planted: [String] = []
        var bodies = (0..<16).map { _ in errorBody(&random, planted: &planted) }
        // Straddling the 300-byte cut of the body snippet.
        for offset in [280, 285, 288, 290, 292, 295, 299] {
            bodies.append(String(repeating: "x", count: offset) + " " + PlantedToken.envshed(&random) + " tail")
        }
        bodies.append(#"{"visibility": "\#(PlantedToken.envshed(&random))", "updated_at": "\#(Timestamp.format(Date()))"}"#)
        bodies.append(#"{"repositories": [{"full_name": "\#(PlantedToken.envshed(&random))"}], "updated_at": "\#(Timestamp.format(Date()))", "visibility": "selected"}"#)
        bodies.append(#"{"updated_at": "\#(PlantedToken.envshed(&random))"}"#)
        bodies.append(#"{"environment_scope": "\#(PlantedToken.envshed(&random))", "masked": true}"#)
        bodies.append(#"{"data": {"ENVSHED_TOKEN": "\#(PlantedToken.envshed(&random))"}}"#)
        bodies.append(#"{"key_id": "\#(PlantedToken.envshed(&random))", "key": "\#(PlantedToken.envshed(&random))"}"#)
        bodies.append(PlantedToken.withoutDigits(&random))
        return bodies
    }()

    static func tokens(in text: String) -> [String] {
        let pattern = try! NSRegularExpression(pattern: "(envshed_svc_|ghp_|ghs_|glpat-)[A-Za-z0-9]+")
        return pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { Range($0.range, in: text).map { String(text[$0]) } }
    }

    @Test("a token in an error answer (any status, any field, any header) never reaches the error", .timeLimit(.minutes(5)),
          arguments: [200, 400, 401, 403, 404, 409, 422, 429, 500])
    func tokenInErrorAnswers(status: Int) async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var failures: [String] = []
        var random = SplitMix64(seed: UInt64(status))
        for body in Self.tokenBodies {
            let headerToken = PlantedToken.envshed(&random)
            let headers = [
                "retry-after": headerToken, "x-accepted-github-permissions": "secrets=\(headerToken)", "ratelimit-name": headerToken,
                "ratelimit-resettime": headerToken, "x-ratelimit-remaining": "0", "x-github-request-id": headerToken,
            ]
            let planted = Self.tokens(in: body) + [headerToken]
            let service = HostileService(fixed: { request in
                // 409 makes Kubernetes retry with real pauses: answer it to the other services only.
                HTTPResponse(status: status == 409 && request.url.host == Self.kubernetesURL.host ? 500 : status, headers: headers, body: Data(body.utf8))
            }, planted: planted)
            for call in try Self.calls(transport: service.transport, directory: directory) {
                let begun = ContinuousClock.now
                let error = await call.run()
                let problems = Self.problems(error, planted: planted, took: begun.duration(to: .now))
                if !problems.isEmpty, failures.count < 8 {
                    failures.append("HTTP \(status), \(call.name), body \(body.prefix(120).debugDescription):\n" + problems.map { "  - \($0)" }.joined(separator: "\n"))
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n\n"))")
    }

    struct HugeBody: Sendable {
        var name: String
        /// The statuses it is answered with: a huge valid JSON body is parsed whatever the status.
        var statuses: [Int]
        /// Only the Envshed calls: a body shaped for them, too slow to send to every decoder.
        var envshedOnly = false
        var make: @Sendable () -> Data
    }

    static let hugeBodies: [HugeBody] = [
        HugeBody(name: "10 MB of random bytes", statuses: [200, 500]) { var random = SplitMix64(seed: 10); return Data(random.bytes(10 << 20)) },
        HugeBody(name: "10 MB of NUL", statuses: [200, 500]) { Data(count: 10 << 20) },
        HugeBody(name: "100,000-deep JSON arrays", statuses: [200, 500]) {
            Data((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8)
        },
        HugeBody(name: "100,000-deep JSON objects", statuses: [200, 500]) {
            Data((String(repeating: #"{"a":"#, count: 100_000) + "1" + String(repeating: "}", count: 100_000)).utf8)
        },
        HugeBody(name: "2 MB message with a token at both ends", statuses: [500]) {
            var random = SplitMix64(seed: 12)
            let token = PlantedToken.any(&random)
            return Data(#"{"message": "\#(token) \#(String(repeating: "A", count: 2 << 20)) \#(token)", "reason": "\#(token)"}"#.utf8)
        },
        HugeBody(name: "10 MB Envshed error with a token at both ends", statuses: [500], envshedOnly: true) {
            var random = SplitMix64(seed: 11)
            let token = PlantedToken.envshed(&random)
            return Data(#"{"error": "\#(token) \#(String(repeating: "A", count: 10 << 20)) \#(token)"}"#.utf8)
        },
        HugeBody(name: "10 MB list of tokens", statuses: [200], envshedOnly: true) {
            let one = #"{"id": "0d6e0000-0000-4000-8000-000000000003", "name": "deploy", "description": "managed-by=envshed-rotator", "expiresAt": "2026-12-31T00:00:00Z"}"#
            return Data(("[" + Array(repeating: one, count: (10 << 20) / one.utf8.count).joined(separator: ",") + "]").utf8)
        },
        HugeBody(name: "unterminated 10 MB string of escapes", statuses: [200, 500], envshedOnly: true) {
            Data((#"{"error": ""# + String(repeating: "\\u00e9", count: (10 << 20) / 6)).utf8)
        },
    ]

    /// One body at a time: each is heavy, and a call waiting for a thread is not a slow call.
    @Test("10 MB and 100,000-deep answers: no crash, an answer within seconds", .serialized, .timeLimit(.minutes(5)), arguments: hugeBodies.indices)
    func hugeAnswers(index: Int) async throws {
        let huge = Self.hugeBodies[index]
        let started = ContinuousClock.now
        let body = await offThePool { huge.make() }
        defer { print("huge body \(huge.name): \(started.duration(to: .now))") }
        let planted = Self.tokens(in: String(decoding: body.prefix(200), as: UTF8.self))
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var failures: [String] = []
        for status in huge.statuses {
            let service = HostileService(fixed: { _ in HTTPResponse(status: status, body: body) }, planted: planted)
            // Every decoder once: Envshed's four calls, a push and a verify of each kind of target
            // (the App-authenticated ones add only the installation-token answer: one of them).
            var decoders = Set<String>()
            let calls = try Self.calls(transport: service.transport, directory: directory).filter {
                decoders.insert($0.decoder).inserted && (!huge.envshedOnly || $0.name.hasPrefix("envshed"))
            }
            for call in calls {
                let begun = ContinuousClock.now
                let error = await call.run()
                let problems = Self.problems(error, planted: planted, took: begun.duration(to: .now))
                if !problems.isEmpty { failures.append("\(huge.name), HTTP \(status), \(call.name): \(problems)") }
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    // MARK: - The file target

    /// The file target reads no service, but it reads back whatever is on disk: hostile contents,
    /// a file replaced by a directory or a symlink, a mode changed behind its back.
    @Test("file target: whatever is on disk at verify, a located error without the token", arguments: 0..<8)
    func hostileFile(kind: Int) async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/token"
        let target = Target(kind: .file(FileDestination(path: path, mode: 0o600, owner: nil, then: [])), location: SourceLocation(file: "plan.yaml", line: 1, column: 1))
        let writer = try TargetFactory(github: nil).make(target)
        var random = SplitMix64(seed: 0xF11E + UInt64(kind))
        let token = PlantedToken.envshed(&random)
        let receipt = try await writer.push(Secret(token), logger: Self.logger)
        let other = PlantedToken.envshed(&random)
        switch kind {
        case 0: try Data(random.bytes(4_096)).write(to: URL(fileURLWithPath: path))
        case 1: try Data((token + "\n").utf8).write(to: URL(fileURLWithPath: path))
        case 2: try Data(other.utf8).write(to: URL(fileURLWithPath: path))
        case 3: try Data(count: 10 << 20).write(to: URL(fileURLWithPath: path))
        case 4: chmod(path, 0o644)
        case 5:
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        case 6:
            try FileManager.default.removeItem(atPath: path)
            try Data(token.utf8).write(to: URL(fileURLWithPath: "\(directory)/elsewhere"))
            try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "\(directory)/elsewhere")
        default:
            try FileManager.default.removeItem(atPath: path)
        }
        let error = await Self.failure { () async throws(TargetError) in _ = try await writer.verify(receipt, logger: Self.logger) }
        let problems = Self.problems(error, planted: [token, other], took: .zero)
        #expect(error != nil, "verify accepted a tampered file (case \(kind))")
        #expect(problems.isEmpty, "\(problems)")
    }
}
