import BSONCore
import Foundation

extension DeltaStoreClient {
    /// `quotes.insert`: stores a batch, all or nothing; duplicates (and conflicts: same key, other content) by (symbol, timestamp).
    public func insertQuotes(_ quotes: [BSONDocument], deadline: Duration? = nil) async throws -> InsertResult {
        try InsertResult(try await call("quotes.insert", ["quotes": quotes.bsonArray], deadline: deadline), op: "quotes.insert")
    }

    /// `quotes.query`: one page of quotes by `symbol` or `product` (at least one), with filters.
    public func quotes(
        symbol: String? = nil, product: String? = nil, expiry: String? = nil, optionType: OptionType? = nil,
        strikeMin: Double? = nil, strikeMax: Double? = nil, start: Date? = nil, end: Date? = nil,
        limit: Int? = nil, order: QueryOrder? = nil, cursor: String? = nil, deadline: Duration? = nil
    ) async throws -> QuotePage {
        var args = ArgumentList()
        args.add("symbol", symbol)
        args.add("product", product)
        args.add("expiry", expiry)
        args.add("option_type", optionType?.rawValue)
        args.add("strike_min", strikeMin)
        args.add("strike_max", strikeMax)
        args.add("start", start)
        args.add("end", end)
        args.add("limit", limit)
        args.add("order", order?.rawValue)
        args.add("cursor", cursor)
        return try QuotePage(try await call("quotes.query", args.document, deadline: deadline))
    }

    /// Every page of `quotes.query` with these arguments, following `next`
    /// (see `PageSequence`); `limit` is the size of each page.
    public func quotePages(
        symbol: String? = nil, product: String? = nil, expiry: String? = nil, optionType: OptionType? = nil,
        strikeMin: Double? = nil, strikeMax: Double? = nil, start: Date? = nil, end: Date? = nil,
        limit: Int? = nil, order: QueryOrder? = nil, deadline: Duration? = nil
    ) -> PageSequence<QuotePage> {
        PageSequence { cursor in
            try await self.quotes(
                symbol: symbol, product: product, expiry: expiry, optionType: optionType, strikeMin: strikeMin, strikeMax: strikeMax,
                start: start, end: end, limit: limit, order: order, cursor: cursor, deadline: deadline
            )
        }
    }
}
