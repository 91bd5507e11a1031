@testable import Auth
import Testing

/// The census of stored bcrypt costs: the dummy's cost for unknown emails
/// (the most common) and the padding's (the highest).
@Suite("Hash cost census")
struct HashCostCensusTests {
    @Test func theModalAndMaximumCostsOfTheStoredHashes() {
        let census = HashCostCensus(configuredCost: 12)
        #expect(census.modalCost == 12 && census.maximumCost == 12, "nothing stored: the configured cost")
        census.replace(prefixes: ["$2b$10$": 7, "$2a$10$": 1, "$2b$12$": 3, "$2y$14$": 1, "plain-t": 40, "": 2], at: 0)
        #expect(census.counts == [10: 8, 12: 3, 14: 1], "every bcrypt variant counted, anything else ignored")
        #expect(census.modalCost == 10)
        #expect(census.maximumCost == 14)
    }

    @Test func aTieGoesToTheConfiguredCostElseTheHigher() {
        let census = HashCostCensus(configuredCost: 8)
        census.replace(prefixes: ["$2b$06$": 2, "$2b$08$": 2, "$2b$10$": 2], at: 0)
        #expect(census.modalCost == 8)
        census.replace(prefixes: ["$2b$06$": 2, "$2b$10$": 2], at: 0)
        #expect(census.modalCost == 10)
    }

    @Test func registrationsReHashesAndCostsMetAtLoginUpdateIt() {
        let census = HashCostCensus(configuredCost: 8)
        census.replace(prefixes: ["$2b$12$": 2], at: 0)
        census.added(cost: 8)
        census.added(cost: 8)
        census.added(cost: 8)
        #expect(census.modalCost == 8)
        census.moved(from: 12, to: 8)
        census.moved(from: 12, to: 8)
        #expect(census.counts == [8: 5], "the last cost-12 hash went")
        #expect(census.maximumCost == 8)
        census.observe(cost: 15)
        #expect(census.maximumCost == 15, "an imported hash met at login counts until the next census")
        #expect(census.counts == [8: 5])
    }
}
