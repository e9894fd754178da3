import Foundation
import RotatorEmulators
import Synchronization

/// SPEC I1 checked live, after every request any emulator sees: no target holds a revoked token.
///
/// The targets are every one a test could write — each GitHub repository, environment and
/// organization secret, GitLab variable and Kubernetes Secret the emulators were asked to write
/// (their write logs), and every file the rotator may write under the scenario folder. The
/// revoked set is read before the targets: revocation is permanent, so a target found holding a
/// revoked value really held it after the revocation (no false alarm from the race).
final class OutageMonitor: Sendable {
    private let envshed: EnvshedEmulator
    private let github: GitHubEmulator
    private let gitlab: GitLabEmulator
    private let kubernetes: KubernetesEmulator
    private let azureDevOps: AzureDevOpsEmulator?
    /// Where file targets live; the state folder and the harness's own files are not targets.
    private let directory: String
    private let excludedPaths: Set<String>
    private let findings = Mutex<[String]>([])

    init(
        envshed: EnvshedEmulator, github: GitHubEmulator, gitlab: GitLabEmulator, kubernetes: KubernetesEmulator, directory: String,
        excluding excludedPaths: Set<String>, azureDevOps: AzureDevOpsEmulator? = nil
    ) {
        self.azureDevOps = azureDevOps
        self.envshed = envshed
        self.github = github
        self.gitlab = gitlab
        self.kubernetes = kubernetes
        self.directory = directory
        self.excludedPaths = excludedPaths
    }

    /// Every "token X revoked while target Y holds it" seen so far, each once.
    var violations: [String] { findings.withLock { $0 } }

    func check() {
        let revoked = envshed.tokens.filter { $0.revokedAt != nil }
        guard !revoked.isEmpty else { return }
        let held = heldValues()
        for token in revoked {
            for (target, value) in held where value.range(of: Data(token.value.utf8)) != nil {
                let finding = "token \(token.id) revoked while \(target) still holds it"
                findings.withLock { if !$0.contains(finding) { $0.append(finding) } }
            }
        }
    }

    /// What every target holds now, as raw bytes, by a readable target name.
    private func heldValues() -> [(String, Data)] {
        var held: [(String, Data)] = []
        var seen = Set<String>()
        for write in github.writes {
            let value: String?
            if let organization = write.organization {
                value = github.organizationSecretValue(org: organization, name: write.name)
            } else if let repository = write.repository {
                value = github.secretValue(repository: repository, environment: write.environment, name: write.name)
            } else {
                value = nil
            }
            let name = "github:\(write.scope)/\(write.name)"
            if let value, seen.insert(name).inserted { held.append((name, Data(value.utf8))) }
        }
        for write in gitlab.writes {
            guard let key = write.key else { continue }
            let variable = write.ownerKind == "group"
                ? gitlab.variable(group: write.owner, key: key, environmentScope: write.environmentScope)
                : gitlab.variable(project: write.owner, key: key, environmentScope: write.environmentScope)
            let name = "gitlab:\(write.ownerKind) \(write.owner)/\(key)@\(write.environmentScope)"
            if let variable, seen.insert(name).inserted { held.append((name, Data(variable.value.utf8))) }
        }
        for write in kubernetes.writes where write.resource == "secrets" {
            let name = "kubernetes:\(write.namespace)/\(write.name)"
            guard seen.insert(name).inserted, let secret = kubernetes.secret(namespace: write.namespace, name: write.name) else { continue }
            for (key, value) in secret.data.sorted(by: { $0.key < $1.key }) { held.append((name + "/" + key, value)) }
        }
        if let azureDevOps {
            for id in Set(azureDevOps.writes.map(\.groupID)).sorted() {
                for (name, variable) in azureDevOps.variables(groupID: id).sorted(by: { $0.key < $1.key }) {
                    if let value = variable.value { held.append(("azure_devops:group \(id)/\(name)", Data(value.utf8))) }
                }
            }
        }
        if let files = FileManager.default.enumerator(atPath: directory) {
            for case let file as String in files {
                let path = directory + "/" + file
                guard !excludedPaths.contains(where: { path == $0 || path.hasPrefix($0 + "/") }),
                    !file.split(separator: "/").contains(where: { $0.hasPrefix(".") }),
                    let data = FileManager.default.contents(atPath: path)
                else { continue }
                held.append(("file:\(path)", data))
            }
        }
        return held
    }
}
