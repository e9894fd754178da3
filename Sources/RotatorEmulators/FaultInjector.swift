import Synchronization

/// Decides which request gets which injected fault.
///
/// Every fault counts every request it matches, whether or not an earlier fault fired on it, so
/// each fault's `skip` and `times` read simply as "the n-th matching request". When several faults
/// fire on the same request, the one injected first wins.
final class FaultInjector: Sendable {
    private struct Entry {
        let fault: InjectedFault
        var matched = 0
    }

    private let entries = Mutex<[Entry]>([])

    func inject(_ fault: InjectedFault) {
        entries.withLock { $0.append(Entry(fault: fault)) }
    }

    /// Counts the request against every matching fault and returns the fault to answer, if any.
    func fault(method: String, path: String) -> InjectedFault? {
        entries.withLock { entries in
            var firing: InjectedFault?
            for index in entries.indices where entries[index].fault.matches(method: method, path: path) {
                entries[index].matched += 1
                let fault = entries[index].fault
                let position = entries[index].matched
                if firing == nil && position > fault.skip && position <= fault.skip + fault.times {
                    firing = fault
                }
            }
            return firing
        }
    }
}
