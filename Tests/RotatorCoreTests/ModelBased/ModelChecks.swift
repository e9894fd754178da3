import Foundation
import RotatorCore
import RotatorEmulators

/// The invariants checked after every run of a model case, and the convergence check after the
/// clean runs. Each returns what it found broken, one line per finding.
enum ModelChecks {
    /// (a) SPEC I1: no target holds a revoked token, except for a rotation whose operator asked
    /// for `--revoke-old first|immediately`.
    static func noTargetHoldsARevokedToken(_ world: ModelWorld, exempt: Set<String>) -> [String] {
        let tokens = Dictionary(world.envshed.tokens.map { ($0.value, $0) }, uniquingKeysWith: { first, _ in first })
        var findings: [String] = []
        for rotation in world.model.rotations where !exempt.contains(rotation.id) {
            for target in rotation.targets {
                guard let value = world.value(of: target), let token = tokens[value], token.revokedAt != nil else { continue }
                findings.append("\(target) (\(rotation.id)) holds token \(token.id), which is revoked")
            }
        }
        return findings
    }

    /// (b) Only declared writes, no deletion: Envshed sees creates and revocations of tokens the
    /// bot created or was told to adopt; the targets' services see writes to declared targets
    /// only, and no `DELETE`; no key of the shared Kubernetes Secret and no file target that
    /// existed disappears.
    /// - Parameter present: the Kubernetes keys and file targets present after the previous run;
    ///   updated to those present now.
    static func onlyDeclaredWrites(_ world: ModelWorld, present: inout Set<String>) -> [String] {
        var findings: [String] = []
        let tokens = Dictionary(world.envshed.tokens.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for request in world.envshed.requests where request.isWrite {
            let parts = request.path.split(separator: "/").map(String.init)
            switch (request.method, parts.count) {
            case ("POST", 4) where parts[2] == "service-tokens":
                continue
            case ("DELETE", 5) where parts[2] == "service-tokens":
                let id = parts[4]
                let managed = ManagedMarker.parse(tokens[id]?.description) != nil
                if !managed && !world.adopted.values.contains(id) {
                    findings.append("Envshed: revoked token \(id), which the bot neither created nor adopts" + (world.foreign.contains(id) ? " (a hand-made token)" : ""))
                }
            default:
                findings.append("Envshed: undeclared write \(request.method) \(request.path)")
            }
        }
        let targets = Set(world.model.rotations.flatMap(\.targets))
        for request in world.github.requests + world.gitlab.requests + world.kubernetes.requests where request.method == "DELETE" {
            findings.append("deletion: \(request.method) \(request.path)")
        }
        for write in world.github.writes {
            let declared: Bool
            if let repository = write.repository {
                declared = targets.contains(write.environment.map { .githubEnvironment(repository: repository, environment: $0, secret: write.name) }
                    ?? .githubRepository(repository: repository, secret: write.name))
            } else {
                declared = false
            }
            if !declared { findings.append("GitHub: undeclared write to \(write.scope) secret \(write.name)") }
        }
        for write in world.gitlab.writes {
            let owner = write.owner == "201" ? "acme/api" : write.owner
            guard write.ownerKind == "project", let key = write.key, targets.contains(.gitlabProject(project: owner, variable: key)) else {
                findings.append("GitLab: undeclared \(write.method) to \(write.ownerKind) \(write.owner) variable \(write.key ?? "?")")
                continue
            }
        }
        for write in world.kubernetes.writes where !(write.resource == "secrets" && write.namespace == "api" && write.name == "envshed") {
            findings.append("Kubernetes: undeclared \(write.method) to \(write.resource) \(write.namespace)/\(write.name)")
        }
        for write in world.azureDevOps.writes {
            // A whole-group PUT: it may carry only the group's variables the plan declares and the one it keeps.
            let declared = Set(targets.compactMap { target -> String? in
                if case .azureDevOps(let variable) = target { return variable }
                return nil
            })
            let foreign = write.variableNames.filter { !declared.contains($0) && $0 != ModelWorld.unrelatedVariable }
            if write.groupID != ModelWorld.azureDevOpsGroupID || !foreign.isEmpty {
                findings.append("Azure DevOps: undeclared write to group \(write.groupID): \(foreign)")
            }
        }
        var now: Set<String> = []
        for (name, variable) in world.azureDevOps.variables(groupID: ModelWorld.azureDevOpsGroupID) {
            now.insert("azure_devops variable \(name)")
            if name == ModelWorld.unrelatedVariable && variable.value != "unrelated-value-kept" {
                findings.append("Azure DevOps: the unrelated secret \(name) lost its value")
            }
        }
        for (key, _) in world.kubernetes.secret(namespace: "api", name: "envshed")?.data ?? [:] { now.insert("kubernetes key \(key)") }
        for rotation in world.model.rotations {
            for case .file(let name) in rotation.targets where FileManager.default.fileExists(atPath: world.filesDirectory + "/" + name) {
                now.insert("file \(name)")
            }
        }
        for gone in present.subtracting(now).sorted() { findings.append("\(gone) was there after the previous run and is gone") }
        present = now
        return findings
    }

    /// (c) No token value and no credential, raw, percent-encoded or in base64 at any alignment,
    /// in what the runs printed, logged, or left in the state directory (database bytes included).
    static func noSecretInOutput(_ world: ModelWorld, outputs: [(name: String, bytes: Data)]) -> [String] {
        let secrets = world.envshed.tokens.map(\.value) + world.credentials.values.sorted()
        var haystacks = outputs
        haystacks += world.stateFiles.map { ("state directory: \($0.name)", $0.bytes) }
        var findings: [String] = []
        for secret in secrets {
            for (form, needle) in encodings(of: secret) {
                for (name, bytes) in haystacks where bytes.range(of: needle) != nil {
                    findings.append("a secret (\(form), ending …\(secret.suffix(4))) appears in \(name)")
                }
            }
        }
        return findings
    }

    /// The value as it could appear: raw, percent-encoded, and the part of its base64 that does
    /// not depend on the bytes around it, for each of the three alignments.
    static func encodings(of secret: String) -> [(String, Data)] {
        var forms: [(String, Data)] = [("raw", Data(secret.utf8))]
        if let encoded = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics), encoded != secret {
            forms.append(("percent-encoded", Data(encoded.utf8)))
        }
        for offset in 0..<3 {
            let encoded = Array((Data(repeating: 0, count: offset) + Data(secret.utf8)).base64EncodedString().utf8)
            let start = offset == 0 ? 0 : (offset * 4 + 2) / 3 + 1
            let end = encoded.count - 4
            if end - start >= 16 { forms.append(("base64", Data(encoded[start..<end]))) }
        }
        return forms
    }

    /// After the clean runs: every rotation has one live token, the one its state names, held by
    /// all its targets; no token the bot created is live and unheld unless its grace is running.
    static func converged(_ world: ModelWorld) -> [String] {
        var findings: [String] = []
        let store: SQLiteStateStore?
        do {
            store = try SQLiteStateStore.openIfExists(directory: world.stateDirectory)
        } catch {
            return ["cannot read the state: \(error)"]
        }
        let tokens = world.envshed.tokens
        let byValue = Dictionary(tokens.map { ($0.value, $0) }, uniquingKeysWith: { first, _ in first })
        var held: Set<String> = []
        for rotation in world.model.rotations {
            let values = rotation.targets.map { world.value(of: $0) }
            let distinct = Set(values.compactMap { $0 })
            guard values.allSatisfy({ $0 != nil }), distinct.count == 1, let value = distinct.first, let token = byValue[value] else {
                findings.append("\(rotation.id): its targets do not all hold one Envshed token (\(zip(rotation.targets, values).map { "\($0): \($1.flatMap { byValue[$0]?.id } ?? ($1 == nil ? "nothing" : "an unknown value"))" }.joined(separator: ", ")))")
                continue
            }
            held.insert(token.id)
            if !token.isLive { findings.append("\(rotation.id): its targets hold token \(token.id), which is not live") }
            let recorded = (try? store?.rotation(rotation.id))??.tokenID
            // A rotation that was never due still uses its adopted token, which no state records.
            let adoptedAndNeverRotated = recorded == nil && world.adopted[rotation.id] == token.id
            if recorded != token.id && !adoptedAndNeverRotated { findings.append("\(rotation.id): the state names token \(recorded ?? "none"), the targets hold \(token.id)") }
        }
        for token in tokens where token.isLive {
            guard let marker = ManagedMarker.parse(token.description), !held.contains(token.id) else { continue }
            let record = (try? store?.managedTokens(rotation: marker.rotationID))?.first { $0.tokenID == token.id }
            if let revokeAfter = record?.revokeAfter, revokeAfter > world.clock.now() { continue }
            findings.append("token \(token.id) of \(marker.rotationID) (attempt \(marker.attempt)) is live and no target holds it")
        }
        return findings
    }
}
