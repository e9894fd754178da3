/// What every emulator has besides its service: the log of requests it answered, the faults a
/// test injected, and the latency, observers and budget counters of `EmulatorControls`.
public final class EmulatorHarness: Sendable {
    let recorder = RequestRecorder()
    let faults = FaultInjector()
    let controls = EmulatorControls()

    init() {}
}
