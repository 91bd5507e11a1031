import BSONCore
import Domain

/// Ticks in the `ticks` table: the producer's document in `doc`, plus the
/// columns the queries need (product, ts, price) and `tick_key`, the typed
/// `tick_id`: the partial unique index on (product, tick_key, ts) makes a
/// re-sent tick a duplicate while a restarted feed's reused `tick_id` with a
/// new timestamp is a new tick.
struct SQLiteTickRepository: TickRepository {
    let executor: StoreExecutor

    /// The unique (product, tick_key, ts) index (partial: ticks with a
    /// `tick_id`) is the idempotency key.
    static let insertStatements = IdempotentInsert.Statements(
        insert: """
            INSERT INTO ticks (product, ts, price, tick_key, doc) VALUES (:product, :ts, :price, :tick_key, :doc) \
            ON CONFLICT DO NOTHING
            """,
        storedByKey: "SELECT doc FROM ticks WHERE product = :product AND tick_key = :tick_key AND ts = :ts"
    )

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
                let (outcome, stored) = try IdempotentInsert.run(
                    ticks, on: connection, statements: Self.insertStatements, document: \.document,
                    bind: { statement, tick in
                        try Self.bindKey(statement, tick)
                        try statement.bind(":price", tick.price)
                        try statement.bind(":doc", blob: tick.document.bytes)
                    },
                    bindKey: Self.bindKey
                )
                // Only records actually stored name products: a duplicate or a
                // conflict carrying another product must not make it appear.
                try SQLiteCatalogRepository.remember(products: Set(stored.map(\.product)), on: connection)
                return outcome
            }
        }
    }

    /// Binds the idempotency key (product, tick_key, ts); `tick_key` is NULL
    /// for a tick without `tick_id` (never a duplicate).
    static func bindKey(_ statement: SQLiteStatement, _ tick: Tick) throws {
        try statement.bind(":product", tick.product)
        try statement.bind(":tick_key", tick.tickID?.storageKey)
        try statement.bind(":ts", tick.timestamp)
    }

    func query(_ query: TickQuery) async throws -> Page<Tick> {
        try KeysetPagination.checkLimit(query.limit)
        let identity = query.identity
        let after = try query.after.map { cursor throws(FieldError) in
            (ts: cursor.timestamp, id: try KeysetPagination.rowID(of: cursor, identity: identity))
        }
        let sql = Self.querySQL(order: query.order, afterCursor: after != nil)
        return try await executor.read { connection in
            try connection.withStatement(sql) { statement in
                try statement.bind(":product", query.product)
                try KeysetPagination.bind(statement, range: query.range, order: query.order, after: after, limit: query.limit)
                return try KeysetPagination.readPage(statement, limit: query.limit, identity: identity, decode: Self.decode)
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
