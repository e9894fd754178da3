extension Rotator {
    /// Every notification channel's credential, resolved before `run` or `rotate` changes
    /// anything: a channel is needed only when something goes wrong, which is the worst moment
    /// to learn its key is missing.
    /// - Throws: `SetupError` naming the channel and the credential (the command exits 64).
    func checkNotificationCredentials(_ plan: Plan) throws(SetupError) {
        do {
            try Notifier.checkCredentials(plan.notifications, variables: environment.variables)
        } catch {
            throw SetupError(message: error.message)
        }
    }
}
