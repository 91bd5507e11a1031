@testable import Auth
import Testing

/// The estimate failed logins are held to: per cost and across costs, a
/// high percentile, erring long.
@Suite("Check timings")
struct CheckTimingsTests {
    @Test func oneComputationGivesItsOwnCostAndEveryOtherScaledByTheWork() {
        let timings = CheckTimings()
        #expect(timings.estimate(cost: 10) == nil, "nothing measured yet")
        timings.record(cost: 6, nanoseconds: 64_000)
        #expect(timings.estimate(cost: 6) == 64_000)
        #expect(timings.estimate(cost: 8) == 256_000, "two steps up: four times the work")
        #expect(timings.estimate(cost: 5) == 32_000)
    }

    @Test func theAcrossCostsViewFollowsTheSlowestRecentComputationOfAnyCost() {
        let timings = CheckTimings()
        timings.record(cost: 10, nanoseconds: 1_024_000) // 1000 ns per unit of work
        // Then the machine gets busy: cheap checks take twice as long per unit.
        for _ in 0..<3 { timings.record(cost: 6, nanoseconds: 128_000) }
        #expect(timings.estimate(cost: 10) == 2_048_000, "cost 10 is held to the slower pace at once, before its own next check")
        #expect(timings.estimate(cost: 6) == 128_000)
    }

    @Test func theNinetiethPercentileOfTheRecentOnes() {
        let timings = CheckTimings()
        for step in 1...30 { timings.record(cost: 8, nanoseconds: Int64(step) * 1000) }
        // The last 15 are 16…30 thousand; 9 in 10 of them are at most 29 thousand.
        #expect(timings.estimate(cost: 8) == 29_000)
        timings.record(cost: 8, nanoseconds: -5)
        #expect((timings.estimate(cost: 8) ?? 0) > 0, "a negative reading counts as 0, never below")
    }
}
