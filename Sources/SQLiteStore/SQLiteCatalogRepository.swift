import BSONCore
import Domain

/// Products and expiries, from the small `products` and `expiries` tables.
///
/// It exists so that `products.list` and `expiries.list` never scan the big
/// tables: every insert batch records its products (and, for quotes and
/// chains, their expiries) with `remember` in the same transaction, so these
/// lists are always exactly as current as the data.
struct SQLiteCatalogRepository: CatalogRepository {
    let executor: StoreExecutor

    static let productsSQL = "SELECT product FROM products ORDER BY product"
    static let expiriesSQL = "SELECT expiry FROM expiries WHERE product = :product ORDER BY expiry"
    static let rememberProductSQL = "INSERT INTO products (product) VALUES (:product) ON CONFLICT DO NOTHING"
    static let rememberExpirySQL = "INSERT INTO expiries (product, expiry) VALUES (:product, :expiry) ON CONFLICT DO NOTHING"

    func products() async throws -> [String] {
        try await executor.read { connection in
            try connection.withStatement(Self.productsSQL) { statement in
                var products: [String] = []
                while try statement.step() { products.append(statement.text(0)) }
                return products
            }
        }
    }

    func expiries(product: String) async throws -> [String] {
        try await executor.read { connection in
            try connection.withStatement(Self.expiriesSQL) { statement in
                try statement.bind(":product", product)
                var expiries: [String] = []
                while try statement.step() { expiries.append(statement.text(0)) }
                return expiries
            }
        }
    }

    /// Inserts a batch of records that name a product and an expiry (quotes,
    /// chains) with `IdempotentInsert`, then remembers the products and
    /// expiries of the records actually stored: a duplicate or a conflict
    /// carrying another product must not make that product appear. Runs
    /// inside the caller's write transaction.
    static func insertCataloged<Record>(
        _ records: [Record], statements: IdempotentInsert.Statements, on connection: SQLiteConnection,
        product: (Record) -> String, expiry: (Record) -> String, document: (Record) -> BSONDocument,
        bind: (SQLiteStatement, Record) throws -> Void, bindKey: (SQLiteStatement, Record) throws -> Void
    ) throws -> InsertOutcome {
        let (outcome, stored) = try IdempotentInsert.run(
            records, on: connection, statements: statements, document: document, bind: bind, bindKey: bindKey
        )
        try remember(
            products: Set(stored.map(product)),
            expiries: Set(stored.map { ProductExpiry(product: product($0), expiry: expiry($0)) }),
            on: connection
        )
        return outcome
    }

    /// Records products and (product, expiry) pairs; runs inside the insert
    /// batch's transaction on the writer.
    static func remember(products: Set<String>, expiries: Set<ProductExpiry> = [], on connection: SQLiteConnection) throws {
        try connection.withStatement(rememberProductSQL) { statement in
            for product in products.sorted() {
                try statement.bind(":product", product)
                try statement.run()
                statement.reset()
            }
        }
        try connection.withStatement(rememberExpirySQL) { statement in
            for pair in expiries.sorted(by: { ($0.product, $0.expiry) < ($1.product, $1.expiry) }) {
                try statement.bind(":product", pair.product)
                try statement.bind(":expiry", pair.expiry)
                try statement.run()
                statement.reset()
            }
        }
    }
}

/// A (product, expiry) pair for `SQLiteCatalogRepository.remember`.
struct ProductExpiry: Hashable, Sendable {
    let product: String
    let expiry: String
}
