import BSONCore
import Domain

/// Option quotes in `option_quotes`: the producer's document plus `_id`.
/// Unique `(symbol, timestamp)` is the idempotency key; queries by symbol use
/// `(symbol, timestamp, _id)`, by product `(product, timestamp, _id)`.
struct MongoQuoteRepository: QuoteRepository {
    let executor: MongoExecutor
    let ids: ObjectIDGenerator

    func insert(_ quotes: [Quote]) async throws -> InsertOutcome {
        try await MongoInsert.batch(
            quotes.map(\.document), op: "quotes.insert", collection: MongoSchema.quotes, executor: executor, ids: ids,
            keys: quotes.map { BSONDocument([MongoKeyset.equal("symbol", .string($0.symbol)), MongoKeyset.equal("timestamp", .datetime($0.timestamp))]) }
        )
    }

    func query(_ query: QuoteQuery) async throws -> Page<Quote> {
        try MongoKeyset.checkLimit(query.limit)
        guard query.symbol != nil || query.product != nil else { throw FieldError("symbol", "symbol or product is required") }
        let identity = query.identity
        let after = try MongoKeyset.position(of: query.after, identity: identity)
        let filter = MongoKeyset.filter(Self.conditions(query), range: query.range, order: query.order, after: after)
        return try await executor.run("quotes.query") { client in
            try MongoKeyset.readPage(
                client, collection: MongoSchema.quotes, filter: filter, order: query.order, limit: query.limit,
                projection: nil, identity: identity, decode: Self.decode
            )
        }
    }

    /// The filters other than time, from the typed query only.
    static func conditions(_ query: QuoteQuery) -> [(String, BSONValue)] {
        var conditions: [(String, BSONValue)] = []
        if let symbol = query.symbol { conditions.append(MongoKeyset.equal("symbol", .string(symbol))) }
        if let product = query.product { conditions.append(MongoKeyset.equal("product", .string(product))) }
        if let expiry = query.expiry { conditions.append(MongoKeyset.equal("expiry", .string(expiry))) }
        if let type = query.optionType { conditions.append(MongoKeyset.equal("option_type", .string(type.rawValue))) }
        var strike: [(String, BSONValue)] = []
        if let minimum = query.strikeMin { strike.append(("$gte", .double(minimum))) }
        if let maximum = query.strikeMax { strike.append(("$lte", .double(maximum))) }
        if !strike.isEmpty { conditions.append(("strike", .document(BSONDocument(strike)))) }
        return conditions
    }

    static func decode(_ stored: StoredDocument) throws -> Quote {
        Quote(
            stored: stored.document,
            symbol: try stored.field("symbol", FieldRules.name),
            product: try stored.field("product", FieldRules.name),
            strike: try stored.field("strike", FieldRules.positiveNumber),
            expiry: try stored.field("expiry", FieldRules.expiry),
            optionType: try stored.field("option_type", Quote.optionType),
            timestamp: stored.timestamp
        )
    }
}
