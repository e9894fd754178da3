import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` on a low-priority thread of its own and waits for it without holding a thread of
/// the Swift concurrency pool.
///
/// The fuzz tests run seconds of synchronous work. On a 2-core machine the pool has two threads:
/// a test holding both starves every other test's tasks, and the integration tests' emulators
/// (whose ServiceGroup must finish cancelling within 5 s) then trap. At the lowest priority the
/// work also leaves the CPU to the timing-sensitive integration tests running beside it.
/// `#expect` needs the test's task, so `body` returns what it found and the test checks it.
func offThePool<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
    await withCheckedContinuation { continuation in
        let thread = Thread {
            #if os(Linux)
            // On Linux the nice value is per thread: this lowers this thread only.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
            #endif
            continuation.resume(returning: body())
        }
        thread.qualityOfService = .utility
        // Yams composes recursively: 1,000 levels of nesting need more than a default stack.
        thread.stackSize = 16 << 20
        thread.start()
    }
}

/// The CPU time the calling thread has used. Synchronous work is timed with it, not with the
/// wall clock: at low priority beside the integration tests, a parse may wait long for a core
/// without being slow.
func threadCPUTime() -> Duration {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return .seconds(Int64(time.tv_sec)) + .nanoseconds(Int64(time.tv_nsec))
}
