import Foundation

extension Rotator {
    /// `notify test`: a test message to every channel of the plan, now, so that a wrong webhook or
    /// a missing PagerDuty key is found before a rotation needs them. Exit 0 when every channel
    /// took it, 1 when one did not, 64 when a credential is missing or the plan has no channel.
    public func notifyTest() async -> OperationResult {
        let plan: Plan
        switch loadPlan() {
        case .failure(let failure): return failure.result
        case .success(let loaded): plan = loaded
        }
        guard !plan.notifications.isEmpty else {
            return OperationResult(exit: .usage, messages: ["notify test: the plan has no notify: channels"])
        }
        do {
            try checkNotificationCredentials(plan)
        } catch {
            return OperationResult(exit: .usage, messages: ["\(error)"])
        }
        let user = InvokingUser.name(environment.variables)
        let event = NotificationEvent(
            kind: .test, runID: "test-" + Self.newRunID(), rotationID: nil,
            summary: "test message from envshed-rotator on \(ProcessInfo.processInfo.hostName), sent by \(user) with `notify test`; no action needed",
            details: ["user": user]
        )
        let notifier = Notifier(plan: plan, environment: environment, audit: nil)
        let deliveries = await notifier.test(event)
        let lines = deliveries.map { "\($0.delivered ? "ok    " : "FAILED") \($0.channel): \($0.detail)" }
        let failed = deliveries.filter { !$0.delivered }.count
        return OperationResult(
            exit: failed == 0 ? .success : .failure,
            output: (lines + ["\(deliveries.count - failed) of \(deliveries.count) channel(s) took the test message"]).joined(separator: "\n")
        )
    }
}
