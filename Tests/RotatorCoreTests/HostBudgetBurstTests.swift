import Foundation
import Testing
@testable import RotatorCore

/// Write pacing: one write a `60 / writesPerMinute` seconds normally; an emergency rotation may
/// send `burst` at once, and then the pacing holds again, so that in any minute at most
/// `burst + writesPerMinute` writes reach the host (GitHub: 80 content-creating requests a
/// minute, https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api).
@Suite("Host budget: write pacing and the emergency burst")
struct HostBudgetBurstTests {
    @Test("without a burst the second write waits a full interval")
    func paced() async {
        let budget = HostBudget(maxConcurrent: 8, writesPerMinute: 60)
        #expect(await budget.writeDelay(isWrite: true) == .zero)
        let second = await budget.writeDelay(isWrite: true)
        #expect(second > .milliseconds(900) && second <= .seconds(1), "\(second)")
        #expect(await budget.writeDelay(isWrite: false) == .zero, "reads are never paced")
    }

    @Test("with a burst of 5 the first five writes go at once, the sixth waits")
    func burst() async {
        let budget = HostBudget(maxConcurrent: 8, writesPerMinute: 60, burst: 5)
        for index in 0..<5 {
            let delay = await budget.writeDelay(isWrite: true)
            #expect(delay == .zero, "write \(index + 1) waited \(delay)")
        }
        let sixth = await budget.writeDelay(isWrite: true)
        #expect(sixth > .milliseconds(900) && sixth <= .seconds(1), "\(sixth)")
    }

    @Test("over a simulated minute the writes sent stay within burst + writes_per_minute")
    func minuteBound() async {
        let budget = HostBudget(maxConcurrent: 8, writesPerMinute: 60, burst: 20)
        // Delays grow by one interval per write once the burst is spent: the 81st write is
        // scheduled a minute or more from now, so at most 80 land within the first minute.
        var withinAMinute = 0
        for _ in 0..<120 {
            let delay = await budget.writeDelay(isWrite: true)
            if delay < .seconds(60) { withinAMinute += 1 }
        }
        #expect(withinAMinute <= 80 && withinAMinute >= 79, "\(withinAMinute)")
    }

    @Test("GitHub's emergency burst keeps burst + writes_per_minute within 80", arguments: [(60, 20), (40, 20), (70, 10), (80, 1), (200, 1)])
    func githubBurst(writesPerMinute: Int, expected: Int) {
        #expect(HostBudget.githubEmergencyBurst(writesPerMinute: writesPerMinute) == expected)
    }
}
