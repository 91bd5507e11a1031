import BSONCore
import Domain

/// Option quotes in the `quotes` table: the document in `doc`, plus symbol,
/// product, expiry, option_type, strike and ts for the filters. The unique
/// (symbol, ts) index is the idempotency key and serves queries by symbol;
/// (product, ts) serves queries by product.
struct SQLiteQuoteRepository: QuoteRepository {
    let executor: StoreExecutor

    static let insertStatements = IdempotentInsert.Statements(
        insert: """
            INSERT INTO quotes (symbol, product, expiry, option_type, strike, ts, doc) \
            VALUES (:symbol, :product, :expiry, :option_type, :strike, :ts, :doc) ON CONFLICT DO NOTHING
            """,
        storedByKey: "SELECT doc FROM quotes WHERE symbol = :symbol AND ts = :ts"
    )

    static let columns = "id, ts, symbol, product, strike, expiry, option_type, doc"

    /// The optional filters; a NULL parameter switches its filter off.
    static let optionalFilters = [
        "(:expiry IS NULL OR expiry = :expiry)",
        "(:option_type IS NULL OR option_type = :option_type)",
        "(:strike_min IS NULL OR strike >= :strike_min)",
        "(:strike_max IS NULL OR strike <= :strike_max)",
    ]

    /// How a query finds its rows: through (symbol, ts) or (product, ts).
    enum Shape: CaseIterable, Sendable {
        case bySymbol
        case byProduct

        var filters: [String] {
            switch self {
            case .bySymbol: return ["symbol = :symbol", "(:product IS NULL OR product = :product)"] + SQLiteQuoteRepository.optionalFilters
            case .byProduct: return ["product = :product"] + SQLiteQuoteRepository.optionalFilters
            }
        }
    }

    static let pages = PageStatements<Shape>(select: columns, from: "quotes", filters: \.filters)

    /// The statement a `quotes.query` page runs.
    static func querySQL(shape: Shape, order: SortOrder, afterCursor: Bool) -> String {
        pages.sql(shape, order, afterCursor: afterCursor)
    }

    func insert(_ quotes: [Quote]) async throws -> InsertOutcome {
        try await executor.write { connection in
            guard !quotes.isEmpty else { return InsertOutcome(inserted: 0, duplicates: 0) }
            return try connection.writeTransaction {
                try SQLiteCatalogRepository.insertCataloged(
                    quotes, statements: Self.insertStatements, on: connection, product: \.product, expiry: \.expiry, document: \.document,
                    bind: { statement, quote in
                        try statement.bind(":symbol", quote.symbol)
                        try statement.bind(":product", quote.product)
                        try statement.bind(":expiry", quote.expiry)
                        try statement.bind(":option_type", quote.optionType.rawValue)
                        try statement.bind(":strike", quote.strike)
                        try statement.bind(":ts", quote.timestamp)
                        try statement.bind(":doc", blob: quote.document.bytes)
                    },
                    bindKey: { statement, quote in
                        try statement.bind(":symbol", quote.symbol)
                        try statement.bind(":ts", quote.timestamp)
                    }
                )
            }
        }
    }

    func query(_ query: QuoteQuery) async throws -> Page<Quote> {
        try KeysetPagination.checkLimit(query.limit)
        let shape: Shape
        if query.symbol != nil {
            shape = .bySymbol
        } else if query.product != nil {
            shape = .byProduct
        } else {
            throw FieldError("symbol", "symbol or product is required")
        }
        let identity = query.identity
        let after = try query.after.map { cursor throws(FieldError) in
            (ts: cursor.timestamp, id: try KeysetPagination.rowID(of: cursor, identity: identity))
        }
        let sql = Self.querySQL(shape: shape, order: query.order, afterCursor: after != nil)
        return try await executor.read { connection in
            try connection.withStatement(sql) { statement in
                if shape == .bySymbol { try statement.bind(":symbol", query.symbol) }
                try statement.bind(":product", query.product)
                try statement.bind(":expiry", query.expiry)
                try statement.bind(":option_type", query.optionType?.rawValue)
                try statement.bind(":strike_min", query.strikeMin)
                try statement.bind(":strike_max", query.strikeMax)
                try KeysetPagination.bind(statement, range: query.range, order: query.order, after: after, limit: query.limit)
                return try KeysetPagination.readPage(statement, limit: query.limit, identity: identity, decode: Self.decode)
            }
        }
    }

    /// A row of `columns` as a quote.
    static func decode(_ statement: SQLiteStatement) throws -> Quote {
        let typeText = statement.text(6)
        guard let optionType = Quote.OptionType(rawValue: typeText) else {
            throw StoreError.failure("quotes row \(statement.int64(0)) has option_type \(typeText)")
        }
        return Quote(
            stored: try KeysetPagination.document(statement, column: 7, table: "quotes"),
            symbol: statement.text(2),
            product: statement.text(3),
            strike: statement.double(4),
            expiry: statement.text(5),
            optionType: optionType,
            timestamp: statement.int64(1)
        )
    }
}
