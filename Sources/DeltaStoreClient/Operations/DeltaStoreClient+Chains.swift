import BSONCore
import Foundation

extension DeltaStoreClient {
    /// `chains.insert`: stores a batch, all or nothing; duplicates (and conflicts: same key, other content) by (product, expiry, timestamp).
    public func insertChains(_ chains: [BSONDocument], deadline: Duration? = nil) async throws -> InsertResult {
        try InsertResult(try await call("chains.insert", ["chains": chains.bsonArray], deadline: deadline), op: "chains.insert")
    }

    /// `chains.query`: one page of a product's chain snapshots; with `fields`,
    /// only those top-level fields (plus product, expiry, timestamp).
    public func chains(
        product: String, expiry: String? = nil, start: Date? = nil, end: Date? = nil, limit: Int? = nil,
        order: QueryOrder? = nil, cursor: String? = nil, fields: [String]? = nil, deadline: Duration? = nil
    ) async throws -> ChainPage {
        var args = ArgumentList()
        args.add("product", product)
        args.add("expiry", expiry)
        args.add("start", start)
        args.add("end", end)
        args.add("limit", limit)
        args.add("order", order?.rawValue)
        args.add("cursor", cursor)
        args.add("fields", fields.map { BSONValue.array($0.map(BSONValue.string)) })
        return try ChainPage(try await call("chains.query", args.document, deadline: deadline))
    }

    /// Every page of `chains.query` with these arguments, following `next`
    /// (see `PageSequence`); `limit` is the size of each page.
    public func chainPages(
        product: String, expiry: String? = nil, start: Date? = nil, end: Date? = nil, limit: Int? = nil,
        order: QueryOrder? = nil, fields: [String]? = nil, deadline: Duration? = nil
    ) -> PageSequence<ChainPage> {
        PageSequence { cursor in
            try await self.chains(
                product: product, expiry: expiry, start: start, end: end, limit: limit, order: order, cursor: cursor, fields: fields,
                deadline: deadline
            )
        }
    }

    /// `chains.latest`: the newest chain of a product and expiry; `NOT_FOUND` when none.
    public func latestChain(product: String, expiry: String, deadline: Duration? = nil) async throws -> BSONDocument {
        let result = try await call("chains.latest", ["product": .string(product), "expiry": .string(expiry)], deadline: deadline)
        return try ResultReader(result, op: "chains.latest").subdocument("chain")
    }
}
