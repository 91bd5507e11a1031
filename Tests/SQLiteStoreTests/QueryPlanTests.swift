import CSQLite
import Domain
@testable import SQLiteStore
import Testing

/// Every query the store runs uses an index: no full scan of the big tables
/// and no sort (temp B-tree) for ORDER BY. Run on the exact SQL text the
/// repositories use, on an empty database and on one with data and statistics
/// (`ANALYZE`), since the planner may choose differently once it has them.
@Suite("SQLite query plans")
struct QueryPlanTests {
    struct Shape: Sendable, CustomStringConvertible {
        let name: String
        let sql: String
        /// The index (or "PRIMARY KEY") the plan must use.
        let index: String
        var description: String { name }
        var isCatalog: Bool { name.hasPrefix("products.") || name.hasPrefix("expiries.") }
    }

    static let shapes: [Shape] = {
        var shapes: [Shape] = []
        for order in SortOrder.allCases {
            for after in [false, true] {
                let suffix = "\(order.rawValue)\(after ? " after cursor" : "")"
                shapes.append(Shape(name: "ticks.query \(suffix)", sql: SQLiteTickRepository.querySQL(order: order, afterCursor: after), index: "ticks_product_ts"))
                shapes.append(Shape(name: "quotes.query by symbol \(suffix)", sql: SQLiteQuoteRepository.querySQL(shape: .bySymbol, order: order, afterCursor: after), index: "quotes_symbol_ts"))
                shapes.append(Shape(name: "quotes.query by product \(suffix)", sql: SQLiteQuoteRepository.querySQL(shape: .byProduct, order: order, afterCursor: after), index: "quotes_product_ts"))
                shapes.append(Shape(name: "chains.query by product+expiry \(suffix)", sql: SQLiteChainRepository.querySQL(shape: .byProductAndExpiry, order: order, afterCursor: after), index: "chains_product_expiry_ts"))
                shapes.append(Shape(name: "chains.query by product \(suffix)", sql: SQLiteChainRepository.querySQL(shape: .byProduct, order: order, afterCursor: after), index: "chains_product_ts"))
            }
        }
        shapes.append(Shape(name: "ticks.latest", sql: SQLiteTickRepository.latestSQL, index: "ticks_product_ts"))
        shapes.append(Shape(name: "ticks.ohlc", sql: SQLiteTickRepository.barsSQL, index: "ticks_product_ts"))
        shapes.append(Shape(name: "chains.latest", sql: SQLiteChainRepository.latestSQL, index: "chains_product_expiry_ts"))
        shapes.append(Shape(name: "products.list", sql: SQLiteCatalogRepository.productsSQL, index: "products"))
        shapes.append(Shape(name: "expiries.list", sql: SQLiteCatalogRepository.expiriesSQL, index: "PRIMARY KEY"))
        // Retention: each purge batch finds the oldest rows through the time index.
        shapes.append(Shape(name: "purge ticks", sql: SQLiteMarketStore.purgeSQL(.ticks), index: "ticks_ts"))
        shapes.append(Shape(name: "purge quotes", sql: SQLiteMarketStore.purgeSQL(.quotes), index: "quotes_ts"))
        shapes.append(Shape(name: "purge chains", sql: SQLiteMarketStore.purgeSQL(.chains), index: "chains_ts"))
        // And in each purge batch, for each product (and expiry) of the deleted rows,
        // the catalog row if no record is left of it: seeks only, so a batch costs
        // the same however many products writers have listed.
        shapes.append(Shape(name: "purge: forget expiry", sql: SQLiteCatalogRepository.forgetExpirySQL, index: "quotes_product_expiry"))
        shapes.append(Shape(name: "purge: forget product", sql: SQLiteCatalogRepository.forgetProductSQL, index: "ticks_product_ts"))
        return shapes
    }()

    /// The `detail` column of `EXPLAIN QUERY PLAN sql`.
    static func plan(_ sql: String, on connection: SQLiteConnection) throws -> [String] {
        try connection.withStatement("EXPLAIN QUERY PLAN " + sql) { statement in
            var details: [String] = []
            while try statement.step() { details.append(statement.text(3)) }
            return details
        }
    }

    static func check(_ shape: Shape, on connection: SQLiteConnection, _ situation: String) throws {
        let details = try plan(shape.sql, on: connection)
        #expect(!details.isEmpty, "\(shape.name): no plan")
        for detail in details {
            for table in ["ticks", "quotes", "chains"] + (shape.name.hasPrefix("purge") ? ["products", "expiries"] : []) {
                #expect(!detail.hasPrefix("SCAN \(table)"), "\(shape.name) (\(situation)) scans \(table): \(details)")
            }
            // The catalog tables are tiny by construction: with statistics saying
            // a product has two expiries, SQLite may choose to sort those two
            // rows rather than read them in index order, which is harmless.
            // The big tables must never be sorted.
            if !shape.isCatalog {
                #expect(!detail.contains("TEMP B-TREE"), "\(shape.name) (\(situation)) sorts: \(details)")
            }
        }
        if shape.index == "products" {
            // Listing products reads the whole (small) products table, in key order.
            #expect(details == ["SCAN products"], "\(shape.name): \(details)")
        } else {
            #expect(details.contains { $0.contains("USING INDEX \(shape.index) ") || $0.contains("USING COVERING INDEX \(shape.index) ") || $0.contains("USING \(shape.index) ") },
                    "\(shape.name) (\(situation)) does not use \(shape.index): \(details)")
        }
    }

    @Test func everyQueryShapeIsListed() {
        // 5 paginated shapes × 2 orders × with/without cursor, plus 5 single statements, 3 purges and 2 catalog prunes.
        #expect(Self.shapes.count == 5 * 2 * 2 + 5 + 3 + 2)
        #expect(Set(Self.shapes.map(\.sql)).count == Self.shapes.count, "each shape has its own SQL")
    }

    @Test func plansOnAnEmptyDatabaseUseIndexes() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let store = try await openStore(directory.file("plans.sqlite"))
        await store.close()
        let connection = try rawConnection(directory.file("plans.sqlite"))
        defer { connection.close() }
        for shape in Self.shapes {
            try Self.check(shape, on: connection, "empty")
        }
    }

    @Test func plansWithStatisticsUseIndexes() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let path = directory.file("plans.sqlite")
        let store = try await openStore(path)
        // Skewed data: few products, many quotes per product, few per symbol,
        // few expiries, many timestamps.
        var quotes: [Quote] = []
        var ticks: [Tick] = []
        var chains: [Chain] = []
        for minute in 0..<40 {
            let ts = marketOpen + Int64(minute) * 60_000
            for product in ["NIFTY", "BANKNIFTY"] {
                for strike in stride(from: 100.0, through: 300, by: 10) {
                    quotes.append(try quote(product, strike: strike, expiry: "2024-03-28", .call, at: ts))
                    quotes.append(try quote(product, strike: strike, expiry: "2024-04-25", .put, at: ts))
                }
                ticks += try (0..<20).map { try tick(product, at: ts + Int64($0) * 1_000) }
                chains.append(try chain(product, expiry: "2024-03-28", at: ts))
                chains.append(try chain(product, expiry: "2024-04-25", at: ts))
            }
        }
        _ = try await store.quotes.insert(quotes)
        _ = try await store.ticks.insert(ticks)
        _ = try await store.chains.insert(chains)
        await store.close()

        let analyzer = try rawConnection(path)
        try analyzer.exec("ANALYZE")
        analyzer.close()
        let connection = try rawConnection(path)
        defer { connection.close() }
        #expect(try connection.scalarInt("SELECT count(*) FROM sqlite_stat1")! > 0)
        for shape in Self.shapes {
            try Self.check(shape, on: connection, "analyzed")
        }
    }

    /// A page after a cursor seeks to the cursor instead of skipping every row
    /// already returned: the work done does not grow with the position.
    @Test(arguments: SortOrder.allCases)
    func pageAfterACursorSeeks(_ order: SortOrder) async throws {
        try await withStore { store, directory in
            let count = 3_000
            let ticks = try (0..<count).map { try tick("NIFTY", at: marketOpen + Int64($0) * 1_000) }
            _ = try await store.ticks.insert(ticks)
            // Ids are 1...count in insertion (and timestamp) order. A cursor near the far end:
            let position = order == .descending ? 100 : count - 100
            let after = (ts: marketOpen + Int64(position) * 1_000, id: Int64(position + 1))
            let connection = try rawConnection(directory.file("market.sqlite"))
            defer { connection.close() }
            let sql = SQLiteTickRepository.querySQL(order: order, afterCursor: true)

            func run(tighten: Bool) throws -> (rows: Int, steps: Int32) {
                try connection.withStatement(sql) { statement in
                    try statement.bind(":product", "NIFTY")
                    try KeysetPagination.bind(statement, range: TimeRange(), order: order, after: after, limit: 10)
                    if !tighten {
                        // What the bounds would be without tightening them to the cursor.
                        try statement.bind(":start", Int64.min)
                        try statement.bind(":end", Int64.max)
                    }
                    var rows = 0
                    while try statement.step() { rows += 1 }
                    return (rows, statement.virtualMachineSteps)
                }
            }
            let seek = try run(tighten: true)
            let scan = try run(tighten: false)
            #expect(seek.rows == 11 && scan.rows == 11)
            #expect(seek.steps < 500, "a page after a cursor took \(seek.steps) steps")
            #expect(seek.steps * 10 < scan.steps, "seek \(seek.steps) vs skip \(scan.steps): the measurement discriminates")

            // And the store's own page there is right.
            var query = TickQuery(product: "NIFTY", limit: 10, order: order)
            query.after = PageCursor(timestamp: after.ts, recordKey: KeysetPagination.recordKey(after.id), query: query.identity)
            let page = try await store.ticks.query(query)
            let expected = order == .descending ? Array(ticks[(position - 10)..<position].reversed()) : Array(ticks[(position + 1)...(position + 10)])
            #expect(page.records == expected)
        }
    }
}
