import BSONCore
import Domain

/// Option chain snapshots in the `chains` table: the whole document (with its
/// `calls`/`puts` arrays) in `doc`, plus product, expiry and ts. The unique
/// (product, expiry, ts) index is the idempotency key and serves queries and
/// `latest` for one expiry; (product, ts) serves queries across expiries.
struct SQLiteChainRepository: ChainRepository {
    let executor: StoreExecutor

    static let insertStatements = IdempotentInsert.Statements(
        insert: "INSERT INTO chains (product, expiry, ts, doc) VALUES (:product, :expiry, :ts, :doc) ON CONFLICT DO NOTHING",
        storedByKey: "SELECT doc FROM chains WHERE product = :product AND expiry = :expiry AND ts = :ts"
    )

    static let columns = "id, ts, product, expiry, doc"

    /// How a query finds its rows: through (product, expiry, ts) or (product, ts).
    enum Shape: CaseIterable, Sendable {
        case byProductAndExpiry
        case byProduct

        var filters: [String] {
            switch self {
            case .byProductAndExpiry: return ["product = :product", "expiry = :expiry"]
            case .byProduct: return ["product = :product"]
            }
        }
    }

    static let pages = PageStatements<Shape>(select: columns, from: "chains", filters: \.filters)

    /// The statement a `chains.query` page runs.
    static func querySQL(shape: Shape, order: SortOrder, afterCursor: Bool) -> String {
        pages.sql(shape, order, afterCursor: afterCursor)
    }

    static let latestSQL = """
        SELECT \(columns) FROM chains WHERE product = :product AND expiry = :expiry ORDER BY ts DESC, id DESC LIMIT 1
        """

    func insert(_ chains: [Chain]) async throws -> InsertOutcome {
        try await executor.write { connection in
            guard !chains.isEmpty else { return InsertOutcome(inserted: 0, duplicates: 0) }
            return try connection.writeTransaction {
                try SQLiteCatalogRepository.insertCataloged(
                    chains, statements: Self.insertStatements, on: connection, product: \.product, expiry: \.expiry, document: \.document,
                    bind: { statement, chain in
                        try Self.bindKey(statement, chain)
                        try statement.bind(":doc", blob: chain.document.bytes)
                    },
                    bindKey: Self.bindKey
                )
            }
        }
    }

    /// Binds the idempotency key (product, expiry, ts).
    static func bindKey(_ statement: SQLiteStatement, _ chain: Chain) throws {
        try statement.bind(":product", chain.product)
        try statement.bind(":expiry", chain.expiry)
        try statement.bind(":ts", chain.timestamp)
    }

    func query(_ query: ChainQuery) async throws -> Page<Chain> {
        try KeysetPagination.checkLimit(query.limit)
        let shape: Shape = query.expiry == nil ? .byProduct : .byProductAndExpiry
        let identity = query.identity
        let after = try query.after.map { cursor throws(FieldError) in
            (ts: cursor.timestamp, id: try KeysetPagination.rowID(of: cursor, identity: identity))
        }
        let sql = Self.querySQL(shape: shape, order: query.order, afterCursor: after != nil)
        let page = try await executor.read { connection in
            try connection.withStatement(sql) { statement in
                try statement.bind(":product", query.product)
                if let expiry = query.expiry { try statement.bind(":expiry", expiry) }
                try KeysetPagination.bind(statement, range: query.range, order: query.order, after: after, limit: query.limit)
                return try KeysetPagination.readPage(statement, limit: query.limit, identity: identity, decode: Self.decode)
            }
        }
        guard let fields = query.fields else { return page }
        return Page(records: page.records.map { Self.project($0, keeping: fields) }, next: page.next)
    }

    func latest(product: String, expiry: String) async throws -> Chain? {
        try await executor.read { connection in
            try connection.withStatement(Self.latestSQL) { statement in
                try statement.bind(":product", product)
                try statement.bind(":expiry", expiry)
                return try statement.step() ? try Self.decode(statement) : nil
            }
        }
    }

    /// The chain with only product, expiry, timestamp and `fields` at the top
    /// level, in the stored order; the kept elements' bytes are unchanged.
    static func project(_ chain: Chain, keeping fields: [String]) -> Chain {
        let keep = Set(ChainQuery.identifyingFields).union(fields)
        let drop = Set(chain.document.keys).subtracting(keep)
        guard !drop.isEmpty else { return chain }
        return Chain(stored: chain.document.removing(drop), product: chain.product, expiry: chain.expiry, timestamp: chain.timestamp)
    }

    /// A row of `columns` as a chain.
    static func decode(_ statement: SQLiteStatement) throws -> Chain {
        Chain(
            stored: try KeysetPagination.document(statement, column: 4, table: "chains"),
            product: statement.text(2),
            expiry: statement.text(3),
            timestamp: statement.int64(1)
        )
    }
}
