/// One writer at a time per variable group within a run.
///
/// Azure DevOps has no way to change one variable of a group: `PUT …/variablegroups/{id}` replaces
/// the whole set, and "all variables in the VariableGroup that is not in the request payload are
/// deleted" (https://github.com/MicrosoftDocs/vsts-rest-api-specs/issues/235). The API offers no
/// ETag or `If-Match` for groups, so two rotations writing two variables of one group could each
/// read the group, each add their variable, and the second `PUT` would drop the first one's. The
/// read-modify-write of a group therefore runs under this lock; other runs are kept out by the
/// run lock (SPEC I4).
actor AzureDevOpsGroupLocks {
    private var held: Set<String> = []
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// Waits until no one else holds `key`, then holds it.
    func acquire(_ key: String) async {
        guard held.contains(key) else {
            held.insert(key)
            return
        }
        // `release` hands the lock over directly, so `held` keeps the key.
        await withCheckedContinuation { waiting[key, default: []].append($0) }
    }

    /// Hands `key` to the next waiter, or frees it.
    func release(_ key: String) {
        if var queue = waiting[key], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[key] = queue.isEmpty ? nil : queue
            next.resume()
        } else {
            held.remove(key)
        }
    }
}
