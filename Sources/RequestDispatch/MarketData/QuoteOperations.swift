import BSONCore
import Domain
import WireProtocol

/// `quotes.insert`, `quotes.query`.
enum QuoteOperations {
    static func all(store: any MarketStore, limits: DaemonLimits, cursorKey: CursorKey) -> [Operation] {
        [insert(store.quotes, limits), query(store.quotes, limits, cursorKey)]
    }

    static let insertDescriptor = OperationDescriptor(
        name: "quotes.insert", group: .write,
        summary: "Store a batch of option quotes, all or nothing; a quote with the symbol and timestamp of a stored one is a duplicate when its document is the same, else a conflict (not stored, its position in `conflicts`).",
        arguments: [.init("quotes", "array<document>", required: true, "1 to max_batch quotes {symbol, product, strike, expiry, option_type, timestamp, …extra}.")],
        result: insertResultNotation
    )

    static func insert(_ quotes: any QuoteRepository, _ limits: DaemonLimits) -> Operation {
        return Operation(insertDescriptor) { arguments, context in
            let records = try parseBatch(arguments, limits: limits)
            return AsyncWork.run(context) { insertResult(try await quotes.insert(records)) }
        }
    }

    /// `quotes.insert`'s `quotes`, each item validated (all before anything is written).
    static func parseBatch(_ arguments: Arguments, limits: DaemonLimits) throws -> [Quote] {
        try validateBatch(try arguments.batch("quotes", maximum: limits.maxBatch), field: "quotes", Quote.init(document:))
    }

    static let queryDescriptor = OperationDescriptor(
        name: "quotes.query", group: .read,
        summary: "Option quotes by symbol or by product, filtered by expiry, type and strike range, newest first by default, keyset-paginated.",
        arguments: [
            .init("symbol", "string", "Option symbol (symbol or product is required)."),
            .init("product", "string", "Underlying product."),
            .init("expiry", "string", "Expiry date YYYY-MM-DD."),
            .init("option_type", "string", "\"CALL\" or \"PUT\"."),
            .init("strike_min", "double|int32|int64", "Lowest strike, inclusive."),
            .init("strike_max", "double|int32|int64", "Highest strike, inclusive."),
        ] + TickOperations.rangeArguments + [.init("limit", "int32|int64", "Page size, 1 to max_page (default 100).")] + TickOperations.pageArguments,
        result: "{count: int32, quotes: [quote], next?: string}"
    )

    static func query(_ quotes: any QuoteRepository, _ limits: DaemonLimits, _ cursorKey: CursorKey) -> Operation {
        return Operation(queryDescriptor) { arguments, context in
            let query = try Self.parseQuery(arguments, limits: limits, cursorKey: cursorKey)
            return AsyncWork.run(context) {
                let page = try await quotes.query(query)
                return pageResult([], key: "quotes", documents: page.records.map(\.document), next: page.next, cursorKey: cursorKey)
            }
        }
    }

    /// `quotes.query`'s arguments as a query, checked in the order §14.2.12 gives.
    static func parseQuery(_ arguments: Arguments, limits: DaemonLimits, cursorKey: CursorKey) throws -> QuoteQuery {
        let symbol = try arguments.name("symbol")
        let product = try arguments.name("product")
        guard symbol != nil || product != nil else {
            throw WireError.invalidArgument(field: "symbol", reason: "symbol or product is required")
        }
        let optionType = try arguments.optional("option_type", type: "string").map { value throws in try Quote.optionType(value, field: "option_type") }
        let strikeMin = try arguments.finiteNumber("strike_min")
        let strikeMax = try arguments.finiteNumber("strike_max")
        if let strikeMin, let strikeMax, strikeMin > strikeMax {
            throw WireError.invalidArgument(field: "strike_min", reason: "is greater than strike_max")
        }
        var query = QuoteQuery(
            symbol: symbol, product: product, expiry: try arguments.expiry("expiry"),
            optionType: optionType, strikeMin: strikeMin, strikeMax: strikeMax,
            range: try arguments.timeRange(),
            limit: try arguments.limit(default: 100, maximum: limits.maxPage),
            order: try arguments.order()
        )
        query.after = try arguments.cursor(for: query.identity, key: cursorKey)
        return query
    }
}
