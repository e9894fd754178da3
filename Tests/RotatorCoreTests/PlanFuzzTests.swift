import Foundation
@testable import RotatorCore
import Testing

/// Hostile plans: thousands of seeded mutations of valid plans, and inputs built to exhaust time,
/// memory or the stack. Whatever the input, `PlanLoader` returns a plan or a `PlanError` whose
/// every diagnostic is located (line and column from 1) and says something, quickly, and never
/// prints a token that was pasted into the file.
///
/// A failure names the seed and the case number: rerun that seed's test (its argument) to replay
/// it exactly; `PlanFuzzTests.mutate(seed:case:)` rebuilds the input.
@Suite("Plan loader fuzzing")
struct PlanFuzzTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let example: String = {
        let url = repositoryRoot.appendingPathComponent("config.example.yaml")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }()

    /// The valid plans every mutation starts from.
    static var bases: [String] { [PlanFixtures.valid, PlanFixtures.allKinds, example] }

    static let seeds: [UInt64] = [1, 2, 3, 4, 5, 6, 7, 8]
    static let casesPerSeed = 300
    /// CPU time (`threadCPUTime`): a small plan parses in milliseconds, in a debug build.
    static let perCaseLimit: Duration = .seconds(2)

    @Test("the fuzzer's starting points are valid plans")
    func basesAreValid() throws {
        #expect(!Self.example.isEmpty, "config.example.yaml not found from \(#filePath)")
        for base in Self.bases {
            _ = try PlanLoader.parse(base, file: "base.yaml")
        }
    }

    // MARK: - Mutations

    /// One mutated plan and the tokens planted in it.
    struct Mutant {
        var bytes: [UInt8]
        var planted: [String] = []
        var steps: [String] = []
    }

    static let metacharacters: [String] = [
        "[", "]", "{", "}", ":", "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`", "#", ",", "?", "-", "\\",
        ": ", "- ", "? ", "&a ", "*a", "&b [", "*b", "!!binary ", "!!map ", "!<tag:x> ", "<<: *a", "|-\n", ">+\n", "--- ", "\n...\n",
        "%YAML 1.1\n", "%TAG ! tag:x:\n", "\"\\u", "'''", "\u{FEFF}", "\u{85}", "\u{2028}", "\r", "\r\n", "~", "null", "1e999",
        "0x", "-.inf", ".nan", "2026-13-45", "\u{1F600}",
    ]

    static let invalidUTF8: [[UInt8]] = [
        [0xFF], [0xFE], [0xC0, 0x80], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xF0, 0x9F, 0x98],
    ]

    static func mutate(_ base: String, random: inout SplitMix64) -> Mutant {
        var mutant = Mutant(bytes: Array(base.utf8))
        for _ in 0..<random.int(1...6) {
            mutateOnce(&mutant, random: &random)
        }
        return mutant
    }

    /// Rebuilds case `number` of `seed`, as `fuzzMutations` made it.
    static func mutate(seed: UInt64, case number: Int) -> Mutant {
        var random = SplitMix64(seed: seed)
        var mutant = Mutant(bytes: [])
        for _ in 0...number {
            let base = random.pick(bases)
            mutant = mutate(base, random: &random)
        }
        return mutant
    }

    static func mutateOnce(_ mutant: inout Mutant, random: inout SplitMix64) {
        var bytes = mutant.bytes
        var lines = Self.lines(bytes)
        let position = random.int(0...bytes.count)
        let index = min(position, max(bytes.count - 1, 0))
        let line = random.int(0..<lines.count)
        let step: String
        switch random.int(0..<16) {
        case 0 where !bytes.isEmpty:
            bytes[index] ^= UInt8(1 << random.int(0..<8))
            step = "flip a bit at \(index)"
        case 1 where !bytes.isEmpty:
            bytes[index] = UInt8.random(in: 0...255, using: &random)
            step = "set byte \(index)"
        case 2 where !bytes.isEmpty:
            let end = min(bytes.count, index + random.int(1...64))
            bytes.removeSubrange(index..<end)
            step = "delete \(index)..<\(end)"
        case 3:
            lines.insert(lines[line], at: random.int(0...lines.count))
            bytes = Self.join(lines)
            step = "duplicate line \(line + 1)"
        case 4 where lines.count > 1:
            lines.remove(at: line)
            bytes = Self.join(lines)
            step = "delete line \(line + 1)"
        case 5:
            let other = random.int(0..<lines.count)
            lines.swapAt(line, other)
            bytes = Self.join(lines)
            step = "swap lines \(line + 1) and \(other + 1)"
        case 8:
            bytes.insert(contentsOf: Array(repeating: UInt8(ascii: "\t"), count: random.int(1...3)), at: position)
            step = "insert tabs at \(position)"
        case 9:
            let control = random.pick([UInt8(0), 1, 7, 8, 0x1B, 0x7F])
            bytes.insert(control, at: position)
            step = "insert control byte \(control) at \(position)"
        case 10:
            let sequence = random.pick(invalidUTF8)
            bytes.insert(contentsOf: sequence, at: position)
            step = "insert invalid UTF-8 \(sequence) at \(position)"
        case 11:
            bytes.removeSubrange(position...)
            step = "truncate at \(position)"
        case 12:
            let unindented = Array(lines[line].drop(while: { $0 == UInt8(ascii: " ") }))
            switch random.int(0..<3) {
            case 0: lines[line] = Array(repeating: UInt8(ascii: " "), count: random.int(1...4)) + lines[line]
            case 1: lines[line] = unindented
            default: lines[line] = [UInt8(ascii: "\t")] + unindented
            }
            bytes = Self.join(lines)
            step = "re-indent line \(line + 1)"
        case 13:
            // A token pasted where a value goes (the commonest accident), or anywhere.
            let token = random.chance(1, in: 8) ? PlantedToken.withoutDigits(&random) : PlantedToken.any(&random)
            mutant.planted.append(token)
            if random.chance(2, in: 3) {
                if let colon = lines[line].firstIndex(of: UInt8(ascii: ":")) {
                    lines[line] = Array(lines[line][...colon]) + Array(" \(token)".utf8)
                } else {
                    lines[line] += Array(" \(token)".utf8)
                }
                bytes = Self.join(lines)
                step = "token as the value of line \(line + 1)"
            } else {
                bytes.insert(contentsOf: Array(token.utf8), at: position)
                step = "token at \(position)"
            }
        case 14 where !bytes.isEmpty:
            // Repeat a chunk (long lines, repeated keys).
            let chunk = Array(bytes[index..<min(bytes.count, index + random.int(1...40))])
            let times = random.int(2...200)
            bytes.insert(contentsOf: Array([[UInt8]](repeating: chunk, count: times).joined()), at: index)
            step = "repeat \(chunk.count) bytes \(times) times at \(index)"
        case 15:
            lines.insert(random.bytes(random.int(0...80)), at: random.int(0...lines.count))
            bytes = Self.join(lines)
            step = "insert a line of random bytes"
        default:
            let meta = random.pick(metacharacters)
            bytes.insert(contentsOf: Array(meta.utf8), at: position)
            step = "insert \(meta.debugDescription) at \(position)"
        }
        mutant.bytes = bytes
        mutant.steps.append(step)
    }

    static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
    }

    static func join(_ lines: [[UInt8]]) -> [UInt8] {
        Array(lines.joined(separator: [UInt8(ascii: "\n")]))
    }

    // MARK: - The property

    /// What must hold for any input. Returns the problems found (empty when all is well).
    static func check(_ text: String, file: String = "fuzz.yaml", planted: [String], limit: Duration = perCaseLimit) -> [String] {
        checkLoading(text, file: file, planted: planted, limit: limit).problems
    }

    static func checkLoading(_ text: String, file: String = "fuzz.yaml", planted: [String], limit: Duration = perCaseLimit) -> (problems: [String], loaded: Bool) {
        var problems: [String] = []
        let started = threadCPUTime()
        let outcome: Result<Plan, PlanError>
        do {
            outcome = .success(try PlanLoader.parse(text, file: file))
        } catch {
            outcome = .failure(error)
        }
        let took = threadCPUTime() - started
        if took > limit { problems.append("took \(took) of CPU, over \(limit)") }
        // YAML breaks lines at \n, \r\n, \r, NEL, LS and PS; a diagnostic may point just past the end.
        var lineBreaks = 1
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A, 0x0D, 0x85, 0x2028, 0x2029: lineBreaks += 1
            default: break
            }
        }
        let scalars = text.unicodeScalars.count
        switch outcome {
        case .success(let plan):
            for warning in plan.warnings {
                problems += locationProblems(warning, file: file, lines: lineBreaks, scalars: scalars)
                if warning.severity != .warning { problems.append("an error among the warnings: \(warning)") }
            }
            let dumped = String(reflecting: plan)
            for token in planted where dumped.contains(token) {
                problems.append("the plan loaded with a literal token in it: \(token.prefix(16))…")
            }
        case .failure(let error):
            guard case .invalid(let diagnostics) = error else {
                problems.append("parse threw \(error), not .invalid")
                break
            }
            if diagnostics.isEmpty { problems.append("PlanError.invalid without a diagnostic") }
            if !diagnostics.contains(where: { $0.severity == .error }) { problems.append("PlanError.invalid without an error: \(error)") }
            for diagnostic in diagnostics {
                problems += locationProblems(diagnostic, file: file, lines: lineBreaks, scalars: scalars)
            }
            let description = error.description
            for token in planted where description.contains(token) || description.contains(token.suffix(24)) {
                problems.append("the error echoes a planted token \(token.prefix(16))…: \(description.prefix(2_000))")
            }
            if Redactor.scrub(description) != description {
                problems.append("the error holds something token-shaped: \(description.prefix(2_000))")
            }
        }
        if case .success = outcome { return (problems, true) }
        return (problems, false)
    }

    static func locationProblems(_ diagnostic: PlanDiagnostic, file: String, lines: Int, scalars: Int) -> [String] {
        var problems: [String] = []
        let location = diagnostic.location
        if location.file != file { problems.append("diagnostic names \(location.file), not \(file): \(diagnostic)") }
        if location.line < 1 || location.line > lines + 1 { problems.append("line \(location.line) outside 1...\(lines + 1): \(diagnostic)") }
        if location.column < 1 || location.column > scalars + 1 { problems.append("column \(location.column) outside 1...\(scalars + 1): \(diagnostic)") }
        if diagnostic.message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { problems.append("empty message: \(diagnostic)") }
        return problems
    }

    /// Every problem of a case, with what it takes to replay it.
    static func report(_ problems: [String], seed: UInt64, case number: Int, mutant: Mutant) -> String {
        let text = String(decoding: mutant.bytes, as: UTF8.self)
        return """
            seed \(seed), case \(number) (replay: PlanFuzzTests.mutate(seed: \(seed), case: \(number))), steps: \(mutant.steps.joined(separator: "; "))
            \(problems.map { "  - \($0)" }.joined(separator: "\n"))
            input (\(mutant.bytes.count) bytes): \(text.prefix(600).debugDescription)
            """
    }

    // MARK: - Tests

    @Test("seeded mutations of valid plans: a plan or located diagnostics, quickly, never a token", .timeLimit(.minutes(5)), arguments: seeds)
    func fuzzMutations(seed: UInt64) async throws {
        let (failures, outcomes) = await offThePool { Self.fuzz(seed: seed) }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n\n"))")
        // Neither all fatal nor all harmless: some mutants still load, most are refused.
        #expect(outcomes.plans > 0)
        #expect(outcomes.errors > outcomes.plans)
    }

    struct Outcomes: Sendable {
        var plans = 0, errors = 0, notUTF8 = 0
    }

    static func fuzz(seed: UInt64) -> (failures: [String], outcomes: Outcomes) {
        var random = SplitMix64(seed: seed)
        var failures: [String] = []
        var outcomes = Outcomes()
        let started = ContinuousClock.now
        for number in 0..<Self.casesPerSeed {
            let mutant = Self.mutate(random.pick(Self.bases), random: &random)
            // The loader reads files as UTF-8 and refuses anything else (tested below); what is
            // left of an invalid file after lossy decoding must parse safely as well.
            let text = String(decoding: mutant.bytes, as: UTF8.self)
            if String(validating: mutant.bytes, as: UTF8.self) == nil { outcomes.notUTF8 += 1 }
            let (problems, loaded) = Self.checkLoading(text, planted: mutant.planted)
            if loaded { outcomes.plans += 1 } else { outcomes.errors += 1 }
            if !problems.isEmpty, failures.count < 5 {
                failures.append(Self.report(problems, seed: seed, case: number, mutant: mutant))
            }
        }
        print("seed \(seed): \(Self.casesPerSeed) cases in \(started.duration(to: .now)); \(outcomes.plans) loaded, \(outcomes.errors) refused, \(outcomes.notUTF8) not UTF-8")
        return (failures, outcomes)
    }

    @Test("truncation at every Nth byte of each base plan", .timeLimit(.minutes(5)), arguments: [0, 1, 2])
    func truncation(baseIndex: Int) async {
        let failures = await offThePool { Self.truncations(of: baseIndex) }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n\n"))")
    }

    static func truncations(of baseIndex: Int) -> [String] {
        let bytes = Array(Self.bases[baseIndex].utf8)
        let step = max(1, bytes.count / 250)
        var failures: [String] = []
        for offset in stride(from: 0, through: bytes.count, by: step) {
            let text = String(decoding: bytes[..<offset], as: UTF8.self)
            let problems = Self.check(text, planted: [])
            if !problems.isEmpty, failures.count < 5 {
                failures.append("base \(baseIndex) truncated at \(offset):\n\(problems.joined(separator: "\n"))")
            }
        }
        return failures
    }

    @Test("a token pasted as any value of the plan is refused and never printed", arguments: [0, 1, 2])
    func tokenInEveryValue(baseIndex: Int) async {
        let failures = await offThePool { Self.tokensInValues(of: baseIndex) }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n\n"))")
    }

    static func tokensInValues(of baseIndex: Int) -> [String] {
        var random = SplitMix64(seed: 0x70_6B_65_6E + UInt64(baseIndex))
        let lines = Self.lines(Array(Self.bases[baseIndex].utf8))
        var failures: [String] = []
        for (index, line) in lines.enumerated() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), !line.starts(with: Array("#".utf8)),
                  !line.drop(while: { $0 == UInt8(ascii: " ") }).starts(with: Array("#".utf8))
            else { continue }
            for token in [PlantedToken.any(&random), PlantedToken.envshed(&random), PlantedToken.withoutDigits(&random)] {
                var edited = lines
                edited[index] = Array(line[...colon]) + Array(" \(token)".utf8)
                let text = String(decoding: Self.join(edited), as: UTF8.self)
                // Wherever it lands, the plan must be refused, not just not echo it.
                var (problems, loaded) = Self.checkLoading(text, planted: [token])
                if loaded { problems.append("a plan with \(token.prefix(16))… on line \(index + 1) loaded") }
                if !problems.isEmpty, failures.count < 5 {
                    failures.append("base \(baseIndex), line \(index + 1) = \(String(decoding: edited[index], as: UTF8.self).debugDescription):\n\(problems.joined(separator: "\n"))")
                }
            }
        }
        return failures
    }

    /// Places where diagnostics quote the plan: none may quote a token back.
    static let quotingPlaces: [(name: String, original: String, replacement: @Sendable (String) -> String)] = [
        ("an unknown key", "    permission: read\n", { "    permission: read\n    \($0): 1\n" }),
        ("a rotation id", "id: web-staging", { "id: \($0)" }),
        ("an enum value", "scope: project", { "scope: \($0)" }),
        ("a duplicated key", "    permission: read\n", { "    permission: read\n    \($0): 1\n    \($0): 2\n" }),
        ("a URL", "  org: acme", { "  api_url: https://\($0).example.com\n  org: acme" }),
        ("a GitHub secret name", "secret: ENVSHED_TOKEN }\n    verify", { "secret: \($0) }\n    verify" }),
        ("a line with a control character", "purpose: Web previews", { "purpose: Web previews \($0) \u{7}" }),
    ]

    @Test("a token in a key, an id, an enum value, a duplicated key or a refused line is never printed back", arguments: quotingPlaces.indices)
    func tokenNeverQuoted(index: Int) throws {
        let (name, original, replacement) = Self.quotingPlaces[index]
        var random = SplitMix64(seed: 0x0707 + UInt64(index))
        for token in [PlantedToken.envshed(&random), PlantedToken.withoutDigits(&random), PlantedToken.any(&random)] {
            let yaml = PlanFixtures.valid(replacing: original, with: replacement(token))
            let error = try #require(throws: PlanError.self, "\(name)") { try PlanLoader.parse(yaml, file: "plan.yaml") }
            #expect(!error.description.contains(token.dropFirst(12).prefix(10)), "\(name): \(error)")
            #expect(Redactor.scrub(error.description) == error.description, "\(name): \(error)")
        }
    }

    @Test("a character YAML refuses is reported where it is, on one line")
    func readerErrorLocated() throws {
        let yaml = PlanFixtures.valid(replacing: "purpose: Web previews", with: "purpose: Web\u{7} previews")
        let error = try #require(throws: PlanError.self) { try PlanLoader.parse(yaml, file: "plan.yaml") }
        let diagnostic = try #require(error.diagnostics.first)
        #expect(error.diagnostics.count == 1)
        #expect(diagnostic.location == SourceLocation(file: "plan.yaml", line: 27, column: 17), "\(diagnostic)")
        #expect(diagnostic.message == "YAML syntax error: control characters are not allowed (character 0x7)")
    }

    @Test("a file that is not UTF-8 is refused by name, never parsed", arguments: invalidUTF8.indices)
    func notUTF8(index: Int) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plan-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("plan.yaml").path
        var bytes = Array(PlanFixtures.valid.utf8)
        bytes.insert(contentsOf: Self.invalidUTF8[index], at: bytes.count / 2)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let error = try #require(throws: PlanError.self) { try PlanLoader.load(path: path) }
        #expect(error.description == "\(path): cannot read the plan: the file is not UTF-8 text")
    }
}

/// Inputs built to exhaust time, memory or the stack, one at a time. The time bounds are CPU time
/// of the parsing thread in a debug build, with a margin of about 3 over what each input takes on
/// a 2-core machine (Yams itself needs about 7 s to compose 5 MB there). They catch hangs and
/// blow-ups, not slow machines.
@Suite("Plan loader: huge and pathological inputs", .serialized)
struct PlanHugeInputTests {
    /// A valid rotation, unique by `index`.
    static func rotation(_ index: Int) -> String {
        """
          - id: service-\(index)-production
            purpose: Deploy pipeline of service number \(index), generated to make the plan large
            scope: environment
            project: { slug: service-\(index), id: 3f1c2b7e-0000-4000-8000-\(String(format: "%012d", index)) }
            environment: { slug: production, id: 9ab20000-0000-4000-8000-\(String(format: "%012d", index)) }
            permission: read
            expires_in_days: 30
            rotate_before_days: 7
            targets:
              - github: { repo: acme/service-\(index), secret: ENVSHED_TOKEN }
              - github: { repo: acme/service-\(index), environment: production, secret: ENVSHED_TOKEN }
            verify:
              expect_keys: [DATABASE_URL, REDIS_URL]

        """
    }

    static let header = """
        version: 1
        envshed:
          org: acme
          token: env:ENVSHED_TOKEN
        providers:
          github:
            token: env:GITHUB_TOKEN
        rotations:

        """

    /// The result and the CPU time it took on this thread.
    static func timed<Result>(_ body: () throws -> Result) rethrows -> (Result, Duration) {
        let started = threadCPUTime()
        let result = try body()
        return (result, threadCPUTime() - started)
    }

    @Test("a 5 MB plan of thousands of rotations loads", .timeLimit(.minutes(5)))
    func fiveMegabytePlan() async throws {
        let (count, result, took) = await offThePool {
            var text = Self.header
            var count = 0
            while text.utf8.count < 5 << 20 {
                text += Self.rotation(count)
                count += 1
            }
            let (result, took) = Self.timed {
                Result<(rotations: Int, lastLine: Int?), PlanError> { () throws(PlanError) in
                    let plan = try PlanLoader.parse(text, file: "big.yaml")
                    return (plan.rotations.count, plan.rotations.last?.location.line)
                }
            }
            return (count, result, took)
        }
        let plan = try result.get()
        #expect(plan.rotations == count)
        #expect(plan.lastLine == 9 + 13 * (count - 1))
        #expect(took < .seconds(45), "\(count) rotations took \(took) of CPU")
        print("5 MB plan: \(count) rotations in \(took) of CPU")
    }

    @Test("a 20 MB random blob is a clear error within seconds; a 5 MB scalar loads", .timeLimit(.minutes(5)), arguments: [0, 1, 2])
    func twentyMegabyteBlob(kind: Int) async {
        let (problems, loaded) = await offThePool { Self.blob(kind: kind) }
        #expect(problems.isEmpty, "\(problems)")
        #expect(loaded == (kind == 2))
    }

    static func blob(kind: Int) -> (problems: [String], loaded: Bool) {
        var random = SplitMix64(seed: 20 + UInt64(kind))
        let size = 20 << 20
        let text: String
        switch kind {
        case 0:
            // Raw random bytes, lossily decoded.
            text = String(decoding: random.bytes(size), as: UTF8.self)
        case 1:
            // Random text made of YAML's own characters: it gets further than raw bytes.
            let alphabet = Array("ab: -[]{},\n  #&*!|>'\"?".utf8)
            text = String(decoding: random.bytes(size).map { alphabet[Int($0) % alphabet.count] }, as: UTF8.self)
        default:
            // One enormous valid scalar where a short string goes: the plan loads.
            text = PlanFixtures.valid.replacingOccurrences(of: "purpose: Web previews", with: "purpose: " + String(repeating: "x", count: 5 << 20))
        }
        let (outcome, took) = Self.timed { PlanFuzzTests.checkLoading(text, file: "blob.yaml", planted: [], limit: .seconds(15)) }
        print("20 MB blob \(kind): \(took)")
        return outcome
    }

    static let nesting: [(name: String, text: String)] = {
        let depth = 100_000
        return [
            ("flow sequences", String(repeating: "[", count: depth) + String(repeating: "]", count: depth)),
            ("flow mappings", String(repeating: "{a: ", count: depth) + "b" + String(repeating: "}", count: depth)),
            ("unclosed flow", String(repeating: "[{", count: depth)),
            ("block sequences on one line", String(repeating: "- ", count: depth) + "x\n"),
            ("complex keys", String(repeating: "? ", count: depth) + "x\n"),
            ("nesting as a value", PlanFixtures.valid.replacingOccurrences(of: "purpose: Web previews", with: "purpose: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth))),
            // Deep, but under the YAML parser's own limit (1,000): composed, then refused by the plan's rules.
            ("999 flow sequences", String(repeating: "[", count: 999) + String(repeating: "]", count: 999)),
            ("999 block sequences", String(repeating: "- ", count: 999) + "x\n"),
            ("indented mappings 2,000 deep", (0..<2_000).map { String(repeating: " ", count: $0) + "k:" }.joined(separator: "\n") + " v\n"),
        ]
    }()

    @Test("100,000-deep nesting is a clear error, not a stack overflow", .timeLimit(.minutes(5)), arguments: nesting.indices)
    func deepNesting(index: Int) async {
        let (name, text) = Self.nesting[index]
        let ((problems, loaded), took) = await offThePool { Self.timed { PlanFuzzTests.checkLoading(text, file: "deep.yaml", planted: [], limit: .seconds(5)) } }
        #expect(problems.isEmpty, "\(name): \(problems)")
        #expect(!loaded, "\(name)")
        print("nesting \(name): \(took)")
    }

    /// `levels` levels of ten aliases each: 10^levels values from a few hundred bytes.
    static func laughs(levels: Int = 10) -> String {
        var lines = ["lol0: &l0 [\(Array(repeating: "\"lol\"", count: 10).joined(separator: ", "))]"]
        for level in 1..<levels {
            let aliases = Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ")
            lines.append("lol\(level): &l\(level) [\(aliases)]")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func indented(_ text: String) -> String {
        text.split(separator: "\n").map { "  \($0)" }.joined(separator: "\n") + "\n"
    }

    static let aliasBombs: [(name: String, text: String)] = [
        ("billion laughs", laughs()),
        ("billion laughs under a known key", "x-bombs:\n" + indented(laughs()) + PlanFixtures.valid.replacingOccurrences(of: "expect_keys: [DATABASE_URL]", with: "expect_keys: *l9")),
        ("billion laughs as the rotations", "version: 1\nenvshed: { org: acme, token: env:T }\nbombs:\n" + indented(laughs()) + "rotations: *l9\n"),
        ("one wide anchor referenced many times", "a: &a [" + Array(repeating: "x", count: 50_000).joined(separator: ",") + "]\nb: ["
            + Array(repeating: "*a", count: 100).joined(separator: ",") + "]\n"),
        // Under the bound of 2,000,000 values: composed and scanned (each aliased list once),
        // then refused by the plan's rules.
        ("a hundred thousand laughs", laughs(levels: 5)),
        ("a million laughs under a known key", "x-bombs:\n" + indented(laughs(levels: 6)) + PlanFixtures.valid.replacingOccurrences(of: "expect_keys: [DATABASE_URL]", with: "expect_keys: *l5")),
    ]

    @Test("alias bombs (billion laughs) are refused within seconds", .timeLimit(.minutes(5)), arguments: aliasBombs.indices)
    func aliasBomb(index: Int) async {
        let (name, text) = Self.aliasBombs[index]
        let ((problems, loaded), took) = await offThePool { Self.timed { PlanFuzzTests.checkLoading(text, file: "bomb.yaml", planted: [], limit: .seconds(8)) } }
        #expect(problems.isEmpty, "\(name): \(problems)")
        #expect(!loaded, "\(name)")
        print("alias bomb \(name): \(took)")
    }

    /// Yams hashes every mapping key whole while composing, so an alias of a billion-laughs list
    /// used as a key would be hashed through all its values; `AliasKeyScanner` refuses it first.
    @Test("an alias bomb used as a mapping key is refused, located", .timeLimit(.minutes(5)), arguments: [
        "? *l9\n: value\n", "*l9 : value\n", "*l9: value\n", "x: { *l9 : 1 }\n", "x:\n  - ? *l9\n    : 1\n",
    ])
    func aliasBombAsKey(key: String) async {
        let text = Self.laughs() + key
        let (problems, loaded) = await offThePool { PlanFuzzTests.checkLoading(text, file: "bomb.yaml", planted: [], limit: .seconds(5)) }
        #expect(problems.isEmpty, "\(problems)")
        #expect(!loaded)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
        #expect(throws: PlanError.self) { try PlanLoader.parse(text, file: "bomb.yaml") }
        do {
            _ = try PlanLoader.parse(text, file: "bomb.yaml")
        } catch {
            guard case .invalid(let diagnostics) = error else { return }
            #expect(diagnostics.first?.message.contains("alias (*name) used as a mapping key") == true, "\(diagnostics)")
            #expect((diagnostics.first?.location.line ?? 0) >= lines - 3, "\(diagnostics)")
        }
    }
}
