import Foundation

extension Rotator {
    /// `status --drift`: the status table plus the drift and hygiene report (`DriftReport`). Unlike
    /// plain `status` it needs the network and the credentials, for reads only: `GET` requests to
    /// Envshed and the targets' providers (a GitHub App also mints its installation token).
    public func status(json: Bool, drift: Bool) async -> OperationResult {
        let base = status(json: json)
        guard drift, base.exit == .success, case .success(let plan) = loadPlan() else { return base }
        let envshed: EnvshedClient
        let factory: TargetFactory
        do {
            let transport = transport(for: plan)
            envshed = try envshedClient(plan, transport: transport)
            factory = try targetFactory(plan, rotations: plan.rotations, transport: transport)
        } catch {
            return OperationResult(exit: .usage, messages: ["status --drift: \(error)"])
        }
        let report: DriftReport
        do {
            let store = try SQLiteStateStore.openIfExists(directory: environment.stateDirectory(for: plan))
            let tokens = try await envshed.listTokens(logger: logger)
            var inspector = DriftInspector(github: factory.github, gitlab: factory.gitlab, kubernetes: factory.kubernetes, logger: logger)
            inspector.azureDevOps = factory.azureDevOps
            report = try await DriftReport.build(plan: plan, tokens: tokens, store: store, inspector: inspector, now: environment.now())
        } catch {
            return OperationResult(exit: .failure, messages: ["status --drift: \(error)"])
        }
        if json {
            var document = (try? JSONSerialization.jsonObject(with: Data(base.output.utf8))) as? [String: Any] ?? [:]
            document["drift"] = report.json
            return OperationResult(exit: .success, output: JSONOutput.render(document), messages: base.messages)
        }
        return OperationResult(exit: .success, output: base.output + "\n\n" + report.text, messages: base.messages)
    }
}
