/// The controls every emulator offers tests and the benchmark, the same for each service.
public protocol ControllableEmulator: Sendable {
    var harness: EmulatorHarness { get }
}

extension ControllableEmulator {
    /// Makes every request matching `fault` fail as it describes, before any other handling.
    public func inject(_ fault: InjectedFault) {
        harness.faults.inject(fault)
    }

    /// Adds `duration` to every request (a distant or slow service).
    public func setLatency(_ duration: Duration) {
        harness.controls.setLatency(duration)
    }

    /// Calls `body` when each request arrives and once it has been applied, before its answer is sent.
    public func observe(_ body: @escaping @Sendable (ObservedRequest) -> Void) {
        harness.controls.observe(body)
    }

    /// The most requests this emulator answered at once (a client's concurrency budget, observed).
    public var maxConcurrentRequests: Int {
        harness.controls.maxConcurrentRequests
    }

    /// The most write requests received within any `window` (a client's write budget, observed).
    public func maxWrites(within window: Duration) -> Int {
        harness.controls.maxWrites(within: window)
    }

    /// Every request received, in order, with the status it got.
    public var requests: [RecordedRequest] {
        harness.recorder.requests
    }
}
