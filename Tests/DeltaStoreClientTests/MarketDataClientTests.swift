import BSONCore
import DeltaStoreClient
import Foundation
import XCTest

/// Every market-data operation through its typed method, against the daemon.
final class MarketDataClientTests: ClientTestCase {
    /// A retention that keeps every fixture (they are of 2025), for `stats`' `retain_s`.
    override var daemonArguments: [String] { ["--retain", "chains=3650d"] }

    func testTicksInsertQueryPagesLatestAndOHLC() async throws {
        let client = makeClient()
        let ticks = (0..<5).map { Records.tick("NIFTY", 23500 + Double($0), second: $0 * 20, id: "n-\($0)") }
        let inserted = try await client.insertTicks(ticks + [Records.tick("BANKNIFTY", 49250, second: 0, id: "b-0")])
        XCTAssertEqual(inserted, InsertResult(inserted: 6, duplicates: 0))
        // Re-sending is idempotent thanks to tick_id.
        let again = try await client.insertTicks(ticks)
        XCTAssertEqual(again, InsertResult(inserted: 0, duplicates: 5))

        let first = try await client.ticks(product: "NIFTY", limit: 3)
        XCTAssertEqual(first.product, "NIFTY")
        XCTAssertEqual(first.count, 3)
        XCTAssertEqual(first.ticks.map { $0["tick_id"] }, ["n-4", "n-3", "n-2"])
        let cursor = try XCTUnwrap(first.next)
        let second = try await client.ticks(product: "NIFTY", limit: 3, cursor: cursor)
        XCTAssertEqual(second.ticks.map { $0["tick_id"] }, ["n-1", "n-0"])
        XCTAssertNil(second.next)
        // Records come back exactly as sent.
        XCTAssertEqual(second.ticks.last, ticks[0])

        let ascending = try await client.ticks(
            product: "NIFTY", start: Records.base.addingTimeInterval(20), end: Records.base.addingTimeInterval(60), order: .ascending
        )
        XCTAssertEqual(ascending.ticks.map { $0["tick_id"] }, ["n-1", "n-2", "n-3"])

        // Every page, following next: 2 + 2 + 1 ticks, newest first, each once.
        var pages: [TickPage] = []
        for try await page in client.tickPages(product: "NIFTY", limit: 2) { pages.append(page) }
        XCTAssertEqual(pages.map(\.count), [2, 2, 1])
        XCTAssertEqual(pages.flatMap(\.ticks).map { $0["tick_id"] }, ["n-4", "n-3", "n-2", "n-1", "n-0"])

        let latest = try await client.latestTick(product: "NIFTY")
        XCTAssertEqual(latest["price"], .double(23504))

        let bars = try await client.ohlc(product: "NIFTY", window: .oneMinute)
        XCTAssertEqual(bars.window, "1m")
        XCTAssertEqual(bars.bars.map(\.count), [3, 2])
        XCTAssertEqual(bars.bars.first?.start, Records.base)
        XCTAssertEqual(bars.bars.first?.open, 23500)
        XCTAssertEqual(bars.bars.first?.close, 23502)
        XCTAssertEqual(bars.bars.last?.high, 23504)
    }

    func testQuotesChainsAndCatalog() async throws {
        let client = makeClient()
        let quotes = [
            Records.quote("NIFTY250130C23500", strike: 23500, type: "CALL", second: 0),
            Records.quote("NIFTY250130P23500", strike: 23500, type: "PUT", second: 0),
            Records.quote("NIFTY250130C23600", strike: 23600, type: "CALL", second: 0),
            Records.quote("NIFTY250206C23600", strike: 23600, type: "CALL", second: 5, expiry: "2025-02-06"),
        ]
        let insertedQuotes = try await client.insertQuotes(quotes)
        XCTAssertEqual(insertedQuotes.inserted, 4)
        let calls = try await client.quotes(product: "NIFTY", expiry: "2025-01-30", optionType: .call, strikeMin: 23550)
        XCTAssertEqual(calls.quotes.map { $0["symbol"] }, ["NIFTY250130C23600"])
        var quotePages: [QuotePage] = []
        for try await page in client.quotePages(product: "NIFTY", limit: 3, order: .ascending) { quotePages.append(page) }
        XCTAssertEqual(quotePages.map(\.count), [3, 1])
        XCTAssertEqual(Set(quotePages.flatMap(\.quotes).compactMap { $0["symbol"]?.stringValue }), Set(quotes.compactMap { $0["symbol"]?.stringValue }))
        let bySymbol = try await client.quotes(symbol: "NIFTY250130P23500")
        XCTAssertEqual(bySymbol.count, 1)
        XCTAssertNil(bySymbol.next)

        let chains = [Records.chain(expiry: "2025-01-30", second: 0, pcr: 0.875), Records.chain(expiry: "2025-01-30", second: 60, pcr: 0.9375)]
        let insertedChains = try await client.insertChains(chains)
        XCTAssertEqual(insertedChains, InsertResult(inserted: 2, duplicates: 0))
        let history = try await client.chains(product: "NIFTY", expiry: "2025-01-30", fields: ["pcr_oi"])
        XCTAssertEqual(history.chains.map { $0["pcr_oi"] }, [.double(0.9375), .double(0.875)])
        XCTAssertEqual(history.chains.first?.keys, ["product", "expiry", "timestamp", "pcr_oi"])
        var chainPages: [ChainPage] = []
        for try await page in client.chainPages(product: "NIFTY", expiry: "2025-01-30", limit: 1, fields: ["pcr_oi"]) { chainPages.append(page) }
        XCTAssertEqual(chainPages.flatMap(\.chains).map { $0["pcr_oi"] }, [.double(0.9375), .double(0.875)])
        let latest = try await client.latestChain(product: "NIFTY", expiry: "2025-01-30")
        XCTAssertEqual(latest, chains[1])

        _ = try await client.insertTicks([Records.tick("BANKNIFTY", 49250, second: 0)])
        let products = try await client.products()
        XCTAssertEqual(products, ["BANKNIFTY", "NIFTY"])
        let expiries = try await client.expiries(product: "NIFTY")
        XCTAssertEqual(expiries, ["2025-01-30", "2025-02-06"])
    }

    func testCoreOperations() async throws {
        let client = makeClient()
        let hello = try await client.hello()
        XCTAssertEqual(hello.protocolVersion, 1)
        XCTAssertEqual(hello.server, "deltastored")
        XCTAssertEqual(hello.store, "sqlite")
        XCTAssertEqual(hello.limits.maxBatch, 1000)
        XCTAssertTrue(hello.operations.contains("ticks.query"))
        let cached = try await client.serverHello()
        XCTAssertEqual(cached.limits, hello.limits)

        try await client.ping()
        let described = try await client.describe("ping")
        XCTAssertEqual(described.map(\.name), ["ping"])
        XCTAssertEqual(described.first?.arguments.first?.name, "delay_ms")
        let all = try await client.describe()
        XCTAssertEqual(all.map(\.name), hello.operations)

        let health = try await client.health()
        XCTAssertTrue(health.isOK)
        XCTAssertEqual(health.storeKind, "sqlite")
        XCTAssertNil(health.storeError)

        let stats = try await client.stats()
        XCTAssertGreaterThanOrEqual(stats.connections, 1)
        XCTAssertGreaterThanOrEqual(stats.operations["ping"]?.count ?? 0, 1)
        XCTAssertEqual(stats.document["store"]?.documentValue?["kind"], "sqlite")
        let store = try XCTUnwrap(stats.store)
        XCTAssertEqual(store.kind, "sqlite")
        XCTAssertNil(store.error)
        XCTAssertGreaterThan(store.bytes ?? 0, 0)
        XCTAssertEqual(Set(store.collections.keys), ["ticks", "quotes", "chains"])
        XCTAssertNil(store.backup)
    }

    func testStatsTypeWhatTheStoreHoldsAndItsRetention() async throws {
        let client = makeClient()
        let first = Date(bsonMilliseconds: 1_738_228_500_000)
        let last = Date(bsonMilliseconds: 1_738_228_560_000)
        _ = try await client.call("ticks.insert", ["ticks": [
            ["product": "NIFTY", "price": 1.5, "timestamp": .datetime(1_738_228_560_000)],
            ["product": "NIFTY", "price": 1.25, "timestamp": .datetime(1_738_228_500_000)],
        ]])
        let stats = try await client.stats()
        let store = try XCTUnwrap(stats.store)
        XCTAssertEqual(store.collections["ticks"], .init(count: 2, oldest: first, newest: last, retainSeconds: nil))
        XCTAssertEqual(store.collections["quotes"], .init(count: 0, oldest: nil, newest: nil, retainSeconds: nil))
        XCTAssertEqual(store.collections["chains"], .init(count: 0, oldest: nil, newest: nil, retainSeconds: 3650 * 86_400))
    }

    func testBackupWritesTheStoreAndAnswersItsCounts() async throws {
        let client = makeClient()
        _ = try await client.call("ticks.insert", ["ticks": [["product": "NIFTY", "price": 1.5, "timestamp": .datetime(1_738_228_500_000)]]])
        let backup = try await client.backup(name: "client-test")
        XCTAssertEqual(backup.path, directory.file("data/backups/client-test.db"))
        XCTAssertEqual(backup.records, ["ticks": 1, "quotes": 0, "chains": 0, "users": 0, "sessions": 0])
        XCTAssertGreaterThan(backup.bytes, 0)
        do {
            _ = try await client.backup(name: "client-test")
            XCTFail("a taken name was accepted")
        } catch DeltaStoreError.server(let error) {
            XCTAssertEqual(error.code, .conflict)
        }
    }
}
