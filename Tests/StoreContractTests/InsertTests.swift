import BSONCore
import Domain
import Testing

/// Batches are idempotent on their keys and all-or-nothing.
@Suite("Contract: inserts")
struct InsertTests {
    @Test(arguments: StoreUnderTest.allCases)
    func resentTickBatchIsCountedAsDuplicatesAndStoredOnce(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            let batch = try (0..<5).map { try Make.tick("NIFTY", at: marketOpen + Int64($0), price: 100 + Double($0), tickID: .string("id-\($0)")) }
            #expect(try await store.ticks.insert(batch) == InsertOutcome(inserted: 5, duplicates: 0))
            #expect(try await store.ticks.insert(batch) == InsertOutcome(inserted: 0, duplicates: 5))

            // The same key (product, tick_id, timestamp) with other content is
            // a conflict: reported by position, not stored, not a duplicate.
            let changed = try Make.tick("NIFTY", at: marketOpen, price: 999, tickID: "id-0")
            let fresh = try Make.tick("NIFTY", at: marketOpen + 50, price: 7, tickID: "id-50")
            #expect(try await store.ticks.insert([fresh, changed]) == InsertOutcome(inserted: 1, duplicates: 0, conflicts: [1]))

            let stored = try await store.ticks.query(TickQuery(product: "NIFTY", limit: 100, order: .ascending)).records
            #expect(stored == batch + [fresh])

            // The same id for another product is another tick.
            let other = try Make.tick("BANKNIFTY", at: marketOpen, tickID: "id-0")
            #expect(try await store.ticks.insert([other]) == InsertOutcome(inserted: 1, duplicates: 0))
            // "5" and 5 are different keys; int32 5 and int64 5 the same key,
            // but not the same document: a conflict.
            let text = try Make.tick("SENSEX", at: marketOpen, tickID: "5")
            let number = try Make.tick("SENSEX", at: marketOpen, tickID: .int32(5))
            let sameNumber = try Make.tick("SENSEX", at: marketOpen, tickID: .int64(5))
            #expect(try await store.ticks.insert([text, number, sameNumber]) == InsertOutcome(inserted: 2, duplicates: 0, conflicts: [2]))
        }
    }

    /// DeltaStream's feed numbers tick_id from 0 at every start: after a
    /// restart, ticks with tick_id 0, 1, 2 and new timestamps are new ticks,
    /// while a retry of a batch (the same documents) is all duplicates.
    @Test(arguments: StoreUnderTest.allCases)
    func aRestartedFeedsTicksAreStoredWhileARetriedBatchIsAllDuplicates(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            func feed(startingAt start: Int64, price: Double) throws -> [Tick] {
                try (0..<3).map { try Make.tick("NIFTY", at: start + Int64($0) * 1_000, price: price + Double($0), tickID: .int64(Int64($0)), extra: [("processed_at", .datetime(start + 5))]) }
            }
            let firstRun = try feed(startingAt: marketOpen, price: 100)
            #expect(try await store.ticks.insert(firstRun) == InsertOutcome(inserted: 3, duplicates: 0))
            #expect(try await store.ticks.insert(firstRun) == InsertOutcome(inserted: 0, duplicates: 3), "a retry")

            let afterRestart = try feed(startingAt: marketOpen + 3_600_000, price: 200)
            #expect(try await store.ticks.insert(afterRestart) == InsertOutcome(inserted: 3, duplicates: 0), "a restarted feed")
            #expect(try await store.ticks.insert(afterRestart) == InsertOutcome(inserted: 0, duplicates: 3), "its retry")

            let stored = try await store.ticks.query(TickQuery(product: "NIFTY", limit: 100, order: .ascending)).records
            #expect(stored == firstRun + afterRestart)
            let bars = try await store.ticks.bars(BarQuery(product: "NIFTY", window: .oneHour, limit: 10))
            #expect(bars.map(\.count) == [3, 3])
        }
    }

    /// A conflict is decided against the stored record and against earlier
    /// items of the same batch alike, and its positions come in order.
    @Test(arguments: StoreUnderTest.allCases)
    func conflictsAreReportedByPositionForEveryKindOfRecord(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            let tick = try Make.tick("NIFTY", at: marketOpen, price: 10, tickID: "k")
            let tickOther = try Make.tick("NIFTY", at: marketOpen, price: 11, tickID: "k")
            let tickNew = try Make.tick("NIFTY", at: marketOpen + 1, price: 12, tickID: "k")
            #expect(try await store.ticks.insert([tick, tickOther, tick, tickNew, tickOther]) == InsertOutcome(inserted: 2, duplicates: 1, conflicts: [1, 4]))
            #expect(try await store.ticks.insert([tickOther, tick]) == InsertOutcome(inserted: 0, duplicates: 1, conflicts: [0]))

            let quote = try Make.quote("NIFTY", strike: 22000, expiry: "2024-03-28", .call, at: marketOpen)
            let quoteOther = try Make.quote("NIFTY", strike: 22000, expiry: "2024-03-28", .call, at: marketOpen, extra: [("note", "re-priced")])
            #expect(try await store.quotes.insert([quote, quoteOther]) == InsertOutcome(inserted: 1, duplicates: 0, conflicts: [1]))
            #expect(try await store.quotes.insert([quoteOther, quote]) == InsertOutcome(inserted: 0, duplicates: 1, conflicts: [0]))
            #expect(try await store.quotes.query(QuoteQuery(product: "NIFTY", limit: 10)).records == [quote])

            let chain = try Make.chain("NIFTY", expiry: "2024-03-28", at: marketOpen)
            let chainOther = try Make.chain("NIFTY", expiry: "2024-03-28", at: marketOpen, strikes: [22000])
            #expect(try await store.chains.insert([chain]) == InsertOutcome(inserted: 1, duplicates: 0))
            #expect(try await store.chains.insert([chain, chainOther, chainOther]) == InsertOutcome(inserted: 0, duplicates: 1, conflicts: [1, 2]))
            #expect(try await store.chains.query(ChainQuery(product: "NIFTY", limit: 10)).records == [chain])
            // A conflicting item naming a new product does not make it appear.
            let elsewhere = try Make.quote(symbol: quote.symbol, "FINNIFTY", strike: 22000, expiry: "2024-03-28", .call, at: marketOpen)
            #expect(try await store.quotes.insert([elsewhere]) == InsertOutcome(inserted: 0, duplicates: 0, conflicts: [0]))
            #expect(try await store.catalog.products() == ["NIFTY"])
        }
    }

    @Test(arguments: StoreUnderTest.allCases)
    func resentQuotesAndChainsAreDuplicates(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            let quotes = try [
                Make.quote("NIFTY", strike: 22000, expiry: "2024-03-28", .call, at: marketOpen),
                Make.quote("NIFTY", strike: 22000, expiry: "2024-03-28", .call, at: marketOpen + 1),
                Make.quote("NIFTY", strike: 22000, expiry: "2024-03-28", .put, at: marketOpen),
            ]
            #expect(try await store.quotes.insert(quotes) == InsertOutcome(inserted: 3, duplicates: 0))
            #expect(try await store.quotes.insert(quotes) == InsertOutcome(inserted: 0, duplicates: 3))
            // The key is (symbol, timestamp); a re-sent quote with another field is a conflict.
            let resentWithNewBid = try Make.quote("NIFTY", strike: 22000, expiry: "2024-03-28", .call, at: marketOpen, extra: [("bid2", 1.5)])
            #expect(try await store.quotes.insert([resentWithNewBid]) == InsertOutcome(inserted: 0, duplicates: 0, conflicts: [0]))
            #expect(try await store.quotes.query(QuoteQuery(product: "NIFTY", limit: 100)).records.count == 3)

            let chains = try [
                Make.chain("NIFTY", expiry: "2024-03-28", at: marketOpen),
                Make.chain("NIFTY", expiry: "2024-04-25", at: marketOpen),
                Make.chain("NIFTY", expiry: "2024-03-28", at: marketOpen + 60_000),
            ]
            #expect(try await store.chains.insert(chains) == InsertOutcome(inserted: 3, duplicates: 0))
            #expect(try await store.chains.insert(chains) == InsertOutcome(inserted: 0, duplicates: 3))
            let stored = try await store.chains.query(ChainQuery(product: "NIFTY", limit: 100, order: .ascending)).records
            #expect(stored.count == 3)
            #expect(Set(stored.map(\.document)) == Set(chains.map(\.document)))
        }
    }

    @Test(arguments: StoreUnderTest.allCases)
    func duplicatesWithinOneBatchAreCounted(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            let tick = try Make.tick("NIFTY", at: marketOpen, tickID: "dup")
            let other = try Make.tick("NIFTY", at: marketOpen + 1, tickID: "other")
            #expect(try await store.ticks.insert([tick, other, tick]) == InsertOutcome(inserted: 2, duplicates: 1))
            #expect(try await store.ticks.query(TickQuery(product: "NIFTY", limit: 10)).records.count == 2)

            let quote = try Make.quote("NIFTY", strike: 22000, expiry: "2024-03-28", .call, at: marketOpen)
            #expect(try await store.quotes.insert([quote, quote]) == InsertOutcome(inserted: 1, duplicates: 1))

            let chain = try Make.chain("NIFTY", expiry: "2024-03-28", at: marketOpen)
            #expect(try await store.chains.insert([chain, chain, chain]) == InsertOutcome(inserted: 1, duplicates: 2))
            #expect(try await store.chains.query(ChainQuery(product: "NIFTY", limit: 10)).records == [chain])
        }
    }

    @Test(arguments: StoreUnderTest.allCases)
    func batchWithOneStoredItemStoresTheNewOnes(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            let first = try Make.tick("NIFTY", at: marketOpen, tickID: "a")
            #expect(try await store.ticks.insert([first]) == InsertOutcome(inserted: 1, duplicates: 0))
            let newOnes = try [Make.tick("NIFTY", at: marketOpen + 1, tickID: "b"), Make.tick("NIFTY", at: marketOpen + 2, tickID: "c")]
            #expect(try await store.ticks.insert([newOnes[0], first, newOnes[1]]) == InsertOutcome(inserted: 2, duplicates: 1))
            let stored = try await store.ticks.query(TickQuery(product: "NIFTY", limit: 10, order: .ascending)).records
            #expect(stored == [first] + newOnes)

            let quote = try Make.quote("NIFTY", strike: 22000, expiry: "2024-03-28", .call, at: marketOpen)
            #expect(try await store.quotes.insert([quote]) == InsertOutcome(inserted: 1, duplicates: 0))
            let newQuote = try Make.quote("NIFTY", strike: 22050, expiry: "2024-03-28", .call, at: marketOpen)
            #expect(try await store.quotes.insert([quote, newQuote]) == InsertOutcome(inserted: 1, duplicates: 1))
            #expect(try await store.quotes.query(QuoteQuery(product: "NIFTY", limit: 10)).records.count == 2)

            let chain = try Make.chain("NIFTY", expiry: "2024-03-28", at: marketOpen)
            #expect(try await store.chains.insert([chain]) == InsertOutcome(inserted: 1, duplicates: 0))
            let newChain = try Make.chain("NIFTY", expiry: "2024-03-28", at: marketOpen + 60_000)
            #expect(try await store.chains.insert([newChain, chain]) == InsertOutcome(inserted: 1, duplicates: 1))
            #expect(try await store.chains.query(ChainQuery(product: "NIFTY", limit: 10, order: .ascending)).records == [chain, newChain])
        }
    }

    @Test(arguments: StoreUnderTest.allCases)
    func ticksWithoutTickIDAreNeverDeduplicated(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            let tick = try Make.tick("NIFTY", at: marketOpen, price: 22_000)
            #expect(try await store.ticks.insert([tick, tick]) == InsertOutcome(inserted: 2, duplicates: 0))
            #expect(try await store.ticks.insert([tick, tick]) == InsertOutcome(inserted: 2, duplicates: 0))
            let stored = try await store.ticks.query(TickQuery(product: "NIFTY", limit: 10)).records
            #expect(stored == Array(repeating: tick, count: 4))
        }
    }

    @Test(arguments: StoreUnderTest.allCases)
    func emptyBatchesInsertNothing(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) async throws in
            #expect(try await store.ticks.insert([]) == InsertOutcome(inserted: 0, duplicates: 0))
            #expect(try await store.quotes.insert([]) == InsertOutcome(inserted: 0, duplicates: 0))
            #expect(try await store.chains.insert([]) == InsertOutcome(inserted: 0, duplicates: 0))
            #expect(try await store.catalog.products().isEmpty)
        }
    }

    /// A batch that fails writes nothing. The stores offer no way to make a
    /// valid batch fail half-way, so the failure is a closed store; reopening
    /// the data shows that only the earlier batch is there, and that a closed
    /// store answers `unavailable`.
    @Test(arguments: StoreUnderTest.allCases)
    func failedBatchWritesNothing(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (handle: StoreHandle) in
            let kept = try (0..<3).map { try Make.tick("NIFTY", at: marketOpen + Int64($0), tickID: .int32(Int32($0))) }
            #expect(try await handle.store.ticks.insert(kept).inserted == 3)
            await handle.store.close()

            let lost = try (3..<6).map { try Make.tick("NIFTY", at: marketOpen + Int64($0), tickID: .int32(Int32($0))) }
            await #expect(throws: StoreError.self) { try await handle.store.ticks.insert(lost) }
            do {
                _ = try await handle.store.ticks.insert(lost)
                Issue.record("insert into a closed store succeeded")
            } catch let error as StoreError {
                guard case .unavailable = error else { Issue.record("expected unavailable, got \(error)"); return }
            }
            await #expect(throws: StoreError.self) { try await handle.store.quotes.insert([Make.quote("NIFTY", strike: 1, expiry: "2024-03-28", .call, at: 0)]) }
            await #expect(throws: StoreError.self) { try await handle.store.ping() }

            let reopened = try await handle.reopen()
            let stored = try await reopened.ticks.query(TickQuery(product: "NIFTY", limit: 100, order: .ascending)).records
            #expect(stored == kept)
            await reopened.close()
        }
    }
}
