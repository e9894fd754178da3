/// GitHub's per-scope public keys, fetched once per scope per run. Single-flight: concurrent
/// pushes to one scope share one fetch.
actor PublicKeyCache {
    private var keys: [String: Task<GitHubPublicKey, any Error>] = [:]

    func key(for scope: String, fetch: @escaping @Sendable () async throws -> GitHubPublicKey) async throws -> GitHubPublicKey {
        if let task = keys[scope] { return try await task.value }
        let task = Task { try await fetch() }
        keys[scope] = task
        do {
            return try await task.value
        } catch {
            keys[scope] = nil
            throw error
        }
    }

    /// Forgets a scope's key, after GitHub said it no longer matches.
    func invalidate(_ scope: String) {
        keys[scope] = nil
    }
}
