import BSONCore
import Domain

/// Ticks in the `ticks` table: the producer's document in `doc`, plus the
/// columns the queries need (product, ts, price) and `tick_key`, the typed
/// `tick_id` whose partial unique index makes re-sent ticks duplicates.
struct SQLiteTickRepository: TickRepository {
    let executor: StoreExecutor

    static let insertSQL = """
        INSERT INTO ticks (product, ts, price, tick_key, doc) VALUES (:product, :ts, :price, :tick_key, :doc) \
        ON CONFLICT DO NOTHING
        """

    static let columns = "id, ts, product, price, doc"
    /// Ticks have one query shape: by product.
    enum Shape: CaseIterable, Sendable {
        case byProduct
    }

    static let pages = PageStatements<Shape>(select: columns, from: "ticks", filters: { _ in ["product = :product"] })

    /// The statement a `ticks.query` page runs.
    static func querySQL(order: SortOrder, afterCursor: Bool) -> String {
        pages.sql(.byProduct, order, afterCursor: afterCursor)
    }

    static let latestSQL = "SELECT \(columns) FROM ticks WHERE product = :product ORDER BY ts DESC, id DESC LIMIT 1"

    /// Newest first, read lazily until `BarBuilder` has its bars.
    static let barsSQL = "SELECT ts, price FROM ticks WHERE product = :product AND ts BETWEEN :start AND :end ORDER BY ts DESC, id DESC"

    func insert(_ ticks: [Tick]) async throws -> InsertOutcome {
        try await executor.write { connection in
            guard !ticks.isEmpty else { return InsertOutcome(inserted: 0, duplicates: 0) }
            return try connection.writeTransaction {
                var stored: [Tick] = []
                try connection.withStatement(Self.insertSQL) { statement in
                    for tick in ticks {
                        try statement.bind(":product", tick.product)
                        try statement.bind(":ts", tick.timestamp)
                        try statement.bind(":price", tick.price)
                        try statement.bind(":tick_key", tick.tickID?.storageKey)
                        try statement.bind(":doc", blob: tick.document.bytes)
                        try statement.run()
                        if connection.changes > 0 { stored.append(tick) }
                        statement.reset()
                    }
                }
                try SQLiteCatalogRepository.remember(products: Set(stored.map(\.product)), on: connection)
                // Only records actually stored name products and expiries: a duplicate
                // carrying another product must not make that product appear.
                return InsertOutcome(inserted: stored.count, duplicates: ticks.count - stored.count)
            }
        }
    }

    func query(_ query: TickQuery) async throws -> Page<Tick> {
        try KeysetPagination.checkLimit(query.limit)
        let fingerprint = query.fingerprint
        let after = try query.after.map { cursor throws(FieldError) in
            (ts: cursor.timestamp, id: try KeysetPagination.rowID(of: cursor, fingerprint: fingerprint))
        }
        let sql = Self.querySQL(order: query.order, afterCursor: after != nil)
        return try await executor.read { connection in
            try connection.withStatement(sql) { statement in
                try statement.bind(":product", query.product)
                try KeysetPagination.bind(statement, range: query.range, order: query.order, after: after, limit: query.limit)
                return try KeysetPagination.readPage(statement, limit: query.limit, fingerprint: fingerprint, decode: Self.decode)
            }
        }
    }

    func latest(product: String) async throws -> Tick? {
        try await executor.read { connection in
            try connection.withStatement(Self.latestSQL) { statement in
                try statement.bind(":product", product)
                return try statement.step() ? try Self.decode(statement) : nil
            }
        }
    }

    func bars(_ query: BarQuery) async throws -> [Bar] {
        try await executor.read { connection in
            try connection.withStatement(Self.barsSQL) { statement in
                try statement.bind(":product", query.product)
                try statement.bind(":start", query.range.start ?? Int64.min)
                try statement.bind(":end", query.range.end ?? Int64.max)
                var builder = BarBuilder(window: query.window, limit: query.limit)
                while try statement.step() {
                    guard builder.add(timestamp: statement.int64(0), price: statement.double(1)) else { break }
                }
                return builder.bars
            }
        }
    }

    /// A row of `columns` as a tick.
    static func decode(_ statement: SQLiteStatement) throws -> Tick {
        Tick(
            stored: try KeysetPagination.document(statement, column: 4, table: "ticks"),
            product: statement.text(2),
            price: statement.double(3),
            timestamp: statement.int64(1)
        )
    }
}
