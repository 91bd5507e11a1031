import BSONCore
import Domain
import Testing

/// Retention and holdings, the same on every store.
@Suite("Contract: retention and holdings")
struct LifecycleTests {
    @Test(arguments: StoreUnderTest.allCases)
    func purgeDeletesOnlyRecordsBeforeTheCutoffOldestFirst(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            let lifecycle = try #require(store as? any LifecycleStore)
            let ticks = try (0..<8).map { try Make.tick("NIFTY", at: marketOpen + Int64($0) * 1000, tickID: .int32(Int32($0))) }
            try await store.ticks.insert(ticks.reversed())
            let quotes = try (0..<3).map { try Make.quote("NIFTY", strike: 22000, expiry: "2024-03-28", .call, at: marketOpen + Int64($0) * 1000) }
            try await store.quotes.insert(quotes)
            let chains = try (0..<3).map { try Make.chain("NIFTY", expiry: "2024-03-28", at: marketOpen + Int64($0) * 1000) }
            try await store.chains.insert(chains)

            let cutoff = marketOpen + 5000
            #expect(try await lifecycle.purge(.ticks, before: cutoff, limit: 2) == 2)
            #expect(try await store.ticks.query(TickQuery(product: "NIFTY", limit: 100, order: .ascending)).records == Array(ticks[2...]))
            #expect(try await lifecycle.purge(.ticks, before: cutoff, limit: 100) == 3)
            #expect(try await lifecycle.purge(.ticks, before: cutoff, limit: 100) == 0)
            #expect(try await store.ticks.query(TickQuery(product: "NIFTY", limit: 100, order: .ascending)).records == Array(ticks[5...]))
            #expect(try await lifecycle.purge(.quotes, before: marketOpen + 1000, limit: 100) == 1)
            #expect(try await store.quotes.query(QuoteQuery(product: "NIFTY", limit: 100, order: .ascending)).records == Array(quotes[1...]))
            #expect(try await lifecycle.purge(.chains, before: marketOpen + 2000, limit: 100) == 2)
            #expect(try await store.chains.query(ChainQuery(product: "NIFTY", limit: 100, order: .ascending)).records == Array(chains[2...]))
        }
    }

    /// `products.list` and `expiries.list` name what the store holds: once a
    /// purge took a product's or an expiry's last record, neither lists it.
    @Test(arguments: StoreUnderTest.allCases)
    func aPurgeThatTakesTheLastRecordsTakesTheirProductAndExpiryFromTheLists(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            let lifecycle = try #require(store as? any LifecycleStore)
            // OLD: ticks only, all purged. NIFTY: an old expiry (quotes and a
            // chain, all purged) and a live one (a quote kept); ticks of both ages.
            try await store.ticks.insert([
                try Make.tick("OLD", at: marketOpen), try Make.tick("NIFTY", at: marketOpen), try Make.tick("NIFTY", at: marketOpen + 9000),
            ])
            try await store.quotes.insert([
                try Make.quote("NIFTY", strike: 22000, expiry: "2024-03-21", .call, at: marketOpen),
                try Make.quote("NIFTY", strike: 22100, expiry: "2024-03-21", .put, at: marketOpen + 1),
                try Make.quote("NIFTY", strike: 22000, expiry: "2024-03-28", .call, at: marketOpen + 9000),
                try Make.quote("BANKNIFTY", strike: 47000, expiry: "2024-03-27", .call, at: marketOpen),
            ])
            try await store.chains.insert([
                try Make.chain("NIFTY", expiry: "2024-03-21", at: marketOpen),
                try Make.chain("BANKNIFTY", expiry: "2024-03-27", at: marketOpen + 9000),
            ])
            #expect(try await store.catalog.products() == ["BANKNIFTY", "NIFTY", "OLD"])
            #expect(try await store.catalog.expiries(product: "NIFTY") == ["2024-03-21", "2024-03-28"])

            let cutoff = marketOpen + 5000
            #expect(try await lifecycle.purge(.ticks, before: cutoff, limit: 100) == 2)
            #expect(try await store.catalog.products() == ["BANKNIFTY", "NIFTY"], "OLD had only ticks, all purged")
            #expect(try await lifecycle.purge(.quotes, before: cutoff, limit: 100) == 3)
            #expect(try await store.catalog.expiries(product: "NIFTY") == ["2024-03-21", "2024-03-28"], "a chain of 2024-03-21 is left")
            #expect(try await store.catalog.expiries(product: "BANKNIFTY") == ["2024-03-27"], "its chain is left")
            #expect(try await lifecycle.purge(.chains, before: cutoff, limit: 100) == 1)
            #expect(try await store.catalog.expiries(product: "NIFTY") == ["2024-03-28"])
            #expect(try await store.catalog.expiries(product: "BANKNIFTY") == ["2024-03-27"])
            #expect(try await store.catalog.products() == ["BANKNIFTY", "NIFTY"])
            // A new record brings its product and expiry back.
            try await store.ticks.insert([try Make.tick("OLD", at: marketOpen + 10000)])
            #expect(try await store.catalog.products() == ["BANKNIFTY", "NIFTY", "OLD"])
        }
    }

    @Test(arguments: StoreUnderTest.allCases)
    func holdingsCountRecordsAndTheirTimeRangeAndTheStoreHasASize(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            let lifecycle = try #require(store as? any LifecycleStore)
            let empty = try await lifecycle.holdings()
            for collection in RecordCollection.allCases {
                #expect(empty.collections[collection] == CollectionHoldings(count: 0, oldest: nil, newest: nil), "\(collection)")
            }
            try await store.ticks.insert([
                try Make.tick("NIFTY", at: marketOpen + 5000), try Make.tick("BANKNIFTY", at: marketOpen - 3000), try Make.tick("NIFTY", at: marketOpen),
            ])
            try await store.chains.insert([try Make.chain("NIFTY", expiry: "2024-03-28", at: marketOpen + 9)])
            let held = try await lifecycle.holdings()
            #expect(held.collections[.ticks] == CollectionHoldings(count: 3, oldest: marketOpen - 3000, newest: marketOpen + 5000))
            #expect(held.collections[.quotes] == CollectionHoldings(count: 0, oldest: nil, newest: nil))
            #expect(held.collections[.chains] == CollectionHoldings(count: 1, oldest: marketOpen + 9, newest: marketOpen + 9))
            #expect(held.bytes > 0)
        }
    }
}
