import Foundation
import Logging

/// The commands' behaviour, one method per command (`Rotator+Validate.swift`, `+Plan`, `+Run`,
/// `+Status`). The CLI parses arguments and calls exactly one of them.
public struct Rotator: Sendable {
    public let environment: RotatorEnvironment
    public let planPath: String

    public init(environment: RotatorEnvironment, planPath: String) {
        self.environment = environment
        self.planPath = planPath
    }

    /// The plan path of SPEC §3: `--config`, else `$ENVSHED_ROTATOR_CONFIG`, else the system path.
    public static func planPath(commandLine: String?, environment: [String: String]) -> String {
        if let commandLine, !commandLine.isEmpty { return commandLine }
        if let fromEnvironment = environment["ENVSHED_ROTATOR_CONFIG"], !fromEnvironment.isEmpty { return fromEnvironment }
        return "/etc/envshed-rotator/plan.yaml"
    }

    var logger: Logger { environment.logger }

    /// Loads the plan or returns the usage result that reports every problem.
    func loadPlan(strict: Bool = false) -> Result<Plan, PlanFailure> {
        do {
            return .success(try PlanLoader.load(path: planPath, strict: strict))
        } catch {
            return .failure(PlanFailure(error: error))
        }
    }

    /// `--only` ids must name rotations of the plan: a typo must not silently rotate nothing.
    func select(_ plan: Plan, only: [String]) -> Result<[Rotation], PlanFailure> {
        guard !only.isEmpty else { return .success(plan.rotations) }
        let unknown = only.filter { plan.rotation(id: $0) == nil }
        guard unknown.isEmpty else {
            let known = plan.rotations.map(\.id).joined(separator: ", ")
            return .failure(PlanFailure(message: "unknown rotation id \(unknown.joined(separator: ", ")); the plan has: \(known)"))
        }
        return .success(plan.rotations.filter { only.contains($0.id) })
    }

    /// The network as this plan may use it: per-host budgets (concurrency, write pacing) shared by
    /// every rotation, under bounded retries that pause a host when it asks; each provider's
    /// `ca_file:` trusted for its host. `emergency` lets writes burst within each provider's
    /// documented limits instead of one a second (GitHub: 80 content-creating requests a minute;
    /// GitLab: far above its default 300 a minute, https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/).
    func transport(for plan: Plan, emergency: Bool = false) -> any HTTPTransport {
        var budgets: [String: HostBudget] = [:]
        var caFiles: [String: String] = [:]
        func add(_ url: URL?, _ budget: HostBudget, caFile: String?) {
            guard let url else { return }
            let key = BudgetedTransport.key(url.host, url.port)
            budgets[key] = budgets[key] ?? budget
            if let caFile { caFiles[key] = caFiles[key] ?? caFile }
        }
        let envshed = plan.envshed
        add(
            envshed.resolvedAPIURL(environment: environment.variables), HostBudget(maxConcurrent: envshed.maxConcurrent ?? 8, writesPerMinute: nil),
            caFile: envshed.caFile
        )
        if let github = plan.github {
            let perMinute = github.writesPerMinute ?? 60
            let burst = emergency ? HostBudget.githubEmergencyBurst(writesPerMinute: perMinute) : 1
            add(github.apiURL, HostBudget(maxConcurrent: github.maxConcurrent ?? 8, writesPerMinute: perMinute, burst: burst), caFile: github.caFile)
        }
        if let gitlab = plan.gitlab {
            add(
                gitlab.apiURL, HostBudget(maxConcurrent: gitlab.maxConcurrent ?? 8, writesPerMinute: gitlab.writesPerMinute ?? 300, burst: emergency ? 20 : 1),
                caFile: gitlab.caFile
            )
        }
        if let azureDevOps = plan.azureDevOps {
            let budget = HostBudget(
                maxConcurrent: azureDevOps.maxConcurrent ?? AzureDevOpsSettings.defaultMaxConcurrent,
                writesPerMinute: azureDevOps.writesPerMinute ?? AzureDevOpsSettings.defaultWritesPerMinute
            )
            add(azureDevOps.apiURL, budget, caFile: azureDevOps.caFile)
        }
        if let kubernetes = plan.kubernetes, let endpoint = try? KubernetesEndpoint.resolve(kubernetes, environment: environment.variables) {
            add(
                endpoint.apiURL, HostBudget(maxConcurrent: kubernetes.maxConcurrent ?? 16, writesPerMinute: kubernetes.writesPerMinute),
                caFile: endpoint.caFile
            )
        }
        return RetryingTransport(
            BudgetedTransport(TrustingTransport(environment.transport, caFiles: caFiles), budgets: budgets, sleep: environment.sleep),
            policy: environment.retryPolicy, logger: logger, now: environment.now, sleep: environment.sleep
        )
    }

    func envshedClient(_ plan: Plan, transport: any HTTPTransport) throws(SetupError) -> EnvshedClient {
        guard let baseURL = plan.envshed.resolvedAPIURL(environment: environment.variables) else {
            throw SetupError(message: "ENVSHED_API_URL must be an https URL (http only for 127.0.0.1 or localhost)")
        }
        let credential: Secret
        do {
            credential = try plan.envshed.token.resolve(environment: environment.variables)
        } catch {
            throw SetupError(message: "envshed.token: \(error)")
        }
        return EnvshedClient(transport: transport, baseURL: baseURL, org: plan.envshed.org, credential: credential, timeout: plan.httpTimeout)
    }

    /// Clients only for providers that the selected rotations write to, so a plan's unused
    /// provider credential need not be present.
    func targetFactory(_ plan: Plan, rotations: [Rotation], transport: any HTTPTransport) throws(SetupError) -> TargetFactory {
        let used = Set(rotations.flatMap { $0.targets.map(\.provider) })
        let variables = environment.variables
        var github: GitHubClient?
        if used.contains(.github), let settings = plan.github {
            switch settings.authentication {
            case .token(let reference):
                do {
                    let credential = try reference.resolve(environment: variables)
                    github = GitHubClient(transport: transport, baseURL: settings.apiURL, credential: credential, timeout: plan.httpTimeout)
                } catch {
                    throw SetupError(message: "providers.github.token: \(error)")
                }
            case .app(let app):
                let key: Secret
                do {
                    key = try app.privateKey.resolve(environment: variables)
                } catch {
                    throw SetupError(message: "providers.github.app.private_key: \(error)")
                }
                do {
                    github = try GitHubClient(
                        transport: transport, baseURL: settings.apiURL, app: app, privateKeyPEM: key, now: environment.now,
                        timeout: plan.httpTimeout
                    )
                } catch {
                    throw SetupError(message: "providers.github.app.private_key: \(error)")
                }
            }
        }
        var gitlab: GitLabClient?
        if used.contains(.gitlab), let settings = plan.gitlab {
            do {
                let credential = try settings.token.resolve(environment: variables)
                gitlab = GitLabClient(
                    transport: transport, baseURL: settings.apiURL, credential: credential, authentication: settings.authentication,
                    collisions: GitLabTargetCollisions(plan.rotations.flatMap(\.targets))
                )
            } catch {
                throw SetupError(message: "providers.gitlab.token: \(error)")
            }
        }
        var kubernetes: KubernetesClient?
        if used.contains(.kubernetes), let settings = plan.kubernetes {
            do {
                kubernetes = KubernetesClient(transport: transport, endpoint: try KubernetesEndpoint.resolve(settings, environment: variables))
            } catch {
                throw SetupError(message: "\(error)")
            }
        }
        var azureDevOps: AzureDevOpsClient?
        if used.contains(.azureDevOps), let settings = plan.azureDevOps {
            do {
                let credential = try settings.token.resolve(environment: variables)
                azureDevOps = AzureDevOpsClient(
                    transport: transport, baseURL: settings.apiURL, credential: credential, authentication: settings.authentication,
                    timeout: plan.httpTimeout
                )
            } catch {
                throw SetupError(message: "providers.azure_devops.token: \(error)")
            }
        }
        return TargetFactory(
            github: github, gitlab: gitlab, kubernetes: kubernetes, azureDevOps: azureDevOps, commandSearchPath: variables["PATH"], now: environment.now,
            sleep: environment.sleep
        )
    }

    static func newRunID() -> String {
        String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12))
    }
}

/// A plan that cannot be used: exit 64 with every problem listed.
struct PlanFailure: Error {
    var messages: [String]

    init(error: PlanError) {
        switch error {
        case .unreadable: messages = [error.description]
        case .invalid: messages = error.description.components(separatedBy: "\n")
        }
    }

    init(message: String) {
        messages = [message]
    }

    var result: OperationResult { OperationResult(exit: .usage, messages: messages) }
}

/// A credential or URL that cannot be used: nothing was touched.
struct SetupError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
