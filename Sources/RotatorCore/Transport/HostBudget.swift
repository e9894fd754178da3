/// One provider host's budget, shared by every rotation of a run: at most `maxConcurrent`
/// requests in flight, and write requests paced to `writesPerMinute` (evenly spaced — GitHub asks
/// for no bursts of content-creating requests). Waiters are served first come, first served.
public actor HostBudget {
    public let maxConcurrent: Int
    public let writesPerMinute: Int?
    private var inFlight = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var nextWriteSlot = ContinuousClock.now

    public init(maxConcurrent: Int, writesPerMinute: Int?) {
        self.maxConcurrent = max(maxConcurrent, 1)
        self.writesPerMinute = writesPerMinute
    }

    /// Reserves the next write slot and returns how long to wait for it (zero for reads or when
    /// writes are not paced).
    func writeDelay(isWrite: Bool) -> Duration {
        guard isWrite, let writesPerMinute, writesPerMinute > 0 else { return .zero }
        let now = ContinuousClock.now
        let slot = max(now, nextWriteSlot)
        nextWriteSlot = slot.advanced(by: .seconds(60) / writesPerMinute)
        return now.duration(to: slot)
    }

    /// Waits for a free request slot.
    func acquire() async {
        if inFlight < maxConcurrent {
            inFlight += 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    /// Frees a slot, handing it straight to the first waiter.
    func release() {
        if waiters.isEmpty {
            inFlight -= 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
