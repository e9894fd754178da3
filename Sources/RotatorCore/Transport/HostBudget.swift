/// One provider host's budget, shared by every rotation of a run: at most `maxConcurrent`
/// requests in flight, and write requests paced to `writesPerMinute` (evenly spaced — GitHub asks
/// for no bursts of content-creating requests). An emergency rotation may send `burst` writes at
/// once before the pacing starts (a token bucket: in any minute at most `burst + writesPerMinute`
/// writes). Waiters are served first come, first served.
public actor HostBudget {
    public let maxConcurrent: Int
    public let writesPerMinute: Int?
    /// Writes that may go without spacing; 1: every write waits its turn.
    public let burst: Int
    private var inFlight = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var nextWriteSlot: ContinuousClock.Instant

    public init(maxConcurrent: Int, writesPerMinute: Int?, burst: Int = 1) {
        self.maxConcurrent = max(maxConcurrent, 1)
        self.writesPerMinute = writesPerMinute
        self.burst = max(burst, 1)
        // The bucket starts full: the first `burst` writes have slots in the past.
        self.nextWriteSlot = ContinuousClock.now.advanced(by: .zero - Self.interval(writesPerMinute) * (max(burst, 1) - 1))
    }

    private static func interval(_ writesPerMinute: Int?) -> Duration {
        guard let writesPerMinute, writesPerMinute > 0 else { return .zero }
        return .seconds(60) / writesPerMinute
    }

    /// The burst an emergency rotation may use on GitHub: content creation is limited to 80
    /// requests a minute (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api,
    /// "secondary rate limits"), so `burst + writesPerMinute` stays within 80, and at most 20.
    public static func githubEmergencyBurst(writesPerMinute: Int) -> Int {
        min(20, max(1, 80 - writesPerMinute))
    }

    /// Reserves the next write slot and returns how long to wait for it (zero for reads, when
    /// writes are not paced, or while the burst lasts).
    func writeDelay(isWrite: Bool) -> Duration {
        guard isWrite, let writesPerMinute, writesPerMinute > 0 else { return .zero }
        let interval = Self.interval(writesPerMinute)
        let now = ContinuousClock.now
        // Unused burst does not pile up beyond `burst` slots behind now.
        let earliest = now.advanced(by: .zero - interval * (burst - 1))
        let slot = max(earliest, nextWriteSlot)
        nextWriteSlot = slot.advanced(by: interval)
        return slot <= now ? .zero : now.duration(to: slot)
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
