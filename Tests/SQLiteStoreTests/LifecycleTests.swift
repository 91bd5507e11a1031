import BSONCore
import CSQLite
import Domain
import Foundation
import Logging
import RequestDispatch
@testable import SQLiteStore
import Testing

/// Retention on SQLite: incremental auto-vacuum for new stores, the purge's
/// batches, and that a store with steady inserts and a retention stops growing.
@Suite("SQLite store: retention and space")
struct RetentionSpaceTests {
    @Test func aNewStoreHasIncrementalAutoVacuumAndTimeIndexes() async throws {
        try await withStore { store, directory in
            let connection = try rawConnection(store.path)
            defer { connection.close() }
            #expect(try connection.scalarInt("PRAGMA auto_vacuum") == 2, "2 = INCREMENTAL")
            let indexes = try connection.withStatement("SELECT name FROM sqlite_schema WHERE type = 'index' AND name IN ('ticks_ts', 'quotes_ts', 'chains_ts') ORDER BY name") { statement in
                var names: [String] = []
                while try statement.step() { names.append(statement.text(0)) }
                return names
            }
            #expect(indexes == ["chains_ts", "quotes_ts", "ticks_ts"])
        }
    }

    @Test func anOlderStoreKeepsItsVacuumModeAndStillPurges() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let path = directory.file("old.sqlite")
        // A store made before incremental auto-vacuum: its tables exist already.
        let old = try SQLiteConnection.open(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        try old.exec("CREATE TABLE placeholder (x INTEGER)")
        old.close()
        let store = try await openStore(path)
        try await store.ticks.insert([try tick("NIFTY", at: 1000), try tick("NIFTY", at: 5000)])
        #expect(try await store.purge(.ticks, before: 2000, limit: 10) == 1)
        #expect(try await store.reclaimSpace(pages: 100) == false, "no auto-vacuum: free pages are reused, not returned")
        let connection = try rawConnection(path)
        #expect(try connection.scalarInt("PRAGMA auto_vacuum") == 0)
        connection.close()
        await store.close()
    }

    @Test func purgeDeletesOnlyOlderRecordsOldestFirstInBoundedBatches() async throws {
        try await withStore { store, _ in
            let ticks = try (0..<10).map { try tick("NIFTY", at: marketOpen + Int64($0) * 1000, tickID: .int32(Int32($0))) }
            try await store.ticks.insert(ticks.shuffled())
            let quotes = try (0..<4).map { try quote("NIFTY", strike: 100, expiry: "2024-03-28", .call, at: marketOpen + Int64($0) * 1000) }
            try await store.quotes.insert(quotes)
            let chains = try (0..<4).map { try chain("NIFTY", expiry: "2024-03-28", at: marketOpen + Int64($0) * 1000) }
            try await store.chains.insert(chains)

            let cutoff = marketOpen + 7000
            #expect(try await store.purge(.ticks, before: cutoff, limit: 3) == 3)
            let afterOne = try await store.ticks.query(TickQuery(product: "NIFTY", limit: 100, order: .ascending)).records
            #expect(afterOne == Array(ticks[3...]), "the three oldest went first")
            #expect(try await store.purge(.ticks, before: cutoff, limit: 3) == 3)
            #expect(try await store.purge(.ticks, before: cutoff, limit: 3) == 1, "fewer than the limit: nothing older is left")
            #expect(try await store.purge(.ticks, before: cutoff, limit: 3) == 0)
            let left = try await store.ticks.query(TickQuery(product: "NIFTY", limit: 100, order: .ascending)).records
            #expect(left == Array(ticks[7...]), "a record at the cutoff itself is kept")

            #expect(try await store.purge(.quotes, before: marketOpen + 2000, limit: 100) == 2)
            #expect(try await store.purge(.chains, before: marketOpen + 3000, limit: 100) == 3)
            let held = try await store.holdings()
            #expect(held.collections[.ticks] == CollectionHoldings(count: 3, oldest: marketOpen + 7000, newest: marketOpen + 9000))
            #expect(held.collections[.quotes] == CollectionHoldings(count: 2, oldest: marketOpen + 2000, newest: marketOpen + 3000))
            #expect(held.collections[.chains] == CollectionHoldings(count: 1, oldest: marketOpen + 3000, newest: marketOpen + 3000))
            let onDisk = SQLiteMarketStore.size(of: store.path) + SQLiteMarketStore.size(of: store.path + "-wal")
            #expect(held.bytes == onDisk)
            #expect(held.bytes > 0)
        }
    }

    @Test func holdingsOfAnEmptyStoreHaveNoTimes() async throws {
        try await withStore { store, _ in
            let held = try await store.holdings()
            for collection in RecordCollection.allCases {
                #expect(held.collections[collection] == CollectionHoldings(count: 0, oldest: nil, newest: nil))
            }
        }
    }
}

/// A wall clock the test moves.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64

    init(_ start: Int64) { value = start }

    var now: Int64 {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
