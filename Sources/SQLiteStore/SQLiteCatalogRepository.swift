import BSONCore
import Domain

/// Products and expiries, from the small `products` and `expiries` tables.
///
/// It exists so that `products.list` and `expiries.list` never scan the big
/// tables: every insert batch records its products (and, for quotes and
/// chains, their expiries) with `remember` in the same transaction, and every
/// purge batch that deleted records forgets those no record is left of
/// (`forgetUnheld`), so these lists are always exactly as current as the data.
struct SQLiteCatalogRepository: CatalogRepository {
    let executor: StoreExecutor

    static let productsSQL = "SELECT product FROM products ORDER BY product"
    static let expiriesSQL = "SELECT expiry FROM expiries WHERE product = :product ORDER BY expiry"
    static let rememberProductSQL = "INSERT INTO products (product) VALUES (:product) ON CONFLICT DO NOTHING"
    static let rememberExpirySQL = "INSERT INTO expiries (product, expiry) VALUES (:product, :expiry) ON CONFLICT DO NOTHING"
    /// Expiries no quote and no chain has: each check is one seek in
    /// `quotes_product_expiry` or `chains_product_expiry_ts`.
    static let forgetUnheldExpiriesSQL = """
        DELETE FROM expiries WHERE NOT EXISTS (SELECT 1 FROM quotes WHERE quotes.product = expiries.product AND quotes.expiry = expiries.expiry) \
        AND NOT EXISTS (SELECT 1 FROM chains WHERE chains.product = expiries.product AND chains.expiry = expiries.expiry)
        """
    /// Products no tick, quote or chain has: one seek in each `…_product_ts` index.
    static let forgetUnheldProductsSQL = """
        DELETE FROM products WHERE NOT EXISTS (SELECT 1 FROM ticks WHERE ticks.product = products.product) \
        AND NOT EXISTS (SELECT 1 FROM quotes WHERE quotes.product = products.product) \
        AND NOT EXISTS (SELECT 1 FROM chains WHERE chains.product = products.product)
        """

    /// One expiry, if no quote and no chain has it: seeks only.
    static let forgetExpirySQL = """
        DELETE FROM expiries WHERE product = :product AND expiry = :expiry \
        AND NOT EXISTS (SELECT 1 FROM quotes WHERE quotes.product = :product AND quotes.expiry = :expiry) \
        AND NOT EXISTS (SELECT 1 FROM chains WHERE chains.product = :product AND chains.expiry = :expiry)
        """
    /// One product, if no tick, quote or chain has it: seeks only.
    static let forgetProductSQL = """
        DELETE FROM products WHERE product = :product \
        AND NOT EXISTS (SELECT 1 FROM ticks WHERE ticks.product = :product) \
        AND NOT EXISTS (SELECT 1 FROM quotes WHERE quotes.product = :product) \
        AND NOT EXISTS (SELECT 1 FROM chains WHERE chains.product = :product)
        """

    /// After a purge batch deleted records of these products (and, for
    /// quotes and chains, these product–expiry pairs), inside the same write
    /// transaction: forgets those no record is left of. The work is a few
    /// seeks per product and expiry of the batch, however long the catalog
    /// (writers may list any number of products).
    static func forgetUnheld(products: Set<String>, expiries: Set<[String]>, on connection: SQLiteConnection) throws {
        try connection.withStatement(forgetExpirySQL) { statement in
            for pair in expiries where pair.count == 2 {
                try statement.bind(":product", pair[0])
                try statement.bind(":expiry", pair[1])
                try statement.run()
                statement.reset()
            }
        }
        try connection.withStatement(forgetProductSQL) { statement in
            for product in products {
                try statement.bind(":product", product)
                try statement.run()
                statement.reset()
            }
        }
    }

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
