import BSONCore
import Domain
import WireProtocol

/// `ticks.insert`, `ticks.query`, `ticks.latest`, `ticks.ohlc`.
enum TickOperations {
    static let rangeArguments: [OperationDescriptor.Argument] = [
        .init("start", "datetime", "Earliest timestamp, inclusive."),
        .init("end", "datetime", "Latest timestamp, inclusive."),
    ]
    static let pageArguments: [OperationDescriptor.Argument] = [
        .init("order", "string", "\"desc\" (newest first, default) or \"asc\"."),
        .init("cursor", "string", "The `next` of the previous page of the same query."),
    ]

    static func all(store: any MarketStore, limits: DaemonLimits, cursorKey: CursorKey) -> [Operation] {
        [insert(store.ticks, limits), query(store.ticks, limits, cursorKey), latest(store.ticks), ohlc(store.ticks, limits)]
    }

    static let insertDescriptor = OperationDescriptor(
        name: "ticks.insert", group: .write,
        summary: "Store a batch of underlying ticks, all or nothing; a tick with the product, tick_id and timestamp of a stored one is a duplicate when its document is the same, else a conflict (not stored, its position in `conflicts`).",
        arguments: [.init("ticks", "array<document>", required: true, "1 to max_batch ticks {product, price, timestamp, tick_id?, …extra}.")],
        result: insertResultNotation
    )

    static func insert(_ ticks: any TickRepository, _ limits: DaemonLimits) -> Operation {
        return Operation(insertDescriptor) { arguments, context in
            let records = try parseBatch(arguments, limits: limits)
            return AsyncWork.run(context) { insertResult(try await ticks.insert(records)) }
        }
    }

    /// `ticks.insert`'s `ticks`, each item validated (all before anything is written).
    static func parseBatch(_ arguments: Arguments, limits: DaemonLimits) throws -> [Tick] {
        try validateBatch(try arguments.batch("ticks", maximum: limits.maxBatch), field: "ticks", Tick.init(document:))
    }

    static let queryDescriptor = OperationDescriptor(
        name: "ticks.query", group: .read,
        summary: "One product's ticks in a time range, newest first by default, keyset-paginated.",
        arguments: [.init("product", "string", required: true, "Product name.")] + rangeArguments
            + [.init("limit", "int32|int64", "Page size, 1 to max_page (default 100).")] + pageArguments,
        result: "{product: string, count: int32, ticks: [tick], next?: string}"
    )

    static func query(_ ticks: any TickRepository, _ limits: DaemonLimits, _ cursorKey: CursorKey) -> Operation {
        return Operation(queryDescriptor) { arguments, context in
            let query = try Self.parseQuery(arguments, limits: limits, cursorKey: cursorKey)
            let product = query.product
            return AsyncWork.run(context) {
                let page = try await ticks.query(query)
                return pageResult([("product", .string(product))], key: "ticks", documents: page.records.map(\.document), next: page.next, cursorKey: cursorKey)
            }
        }
    }

    /// `ticks.query`'s arguments as a query, checked in the order §14.2.8 gives.
    static func parseQuery(_ arguments: Arguments, limits: DaemonLimits, cursorKey: CursorKey) throws -> TickQuery {
        var query = TickQuery(
            product: try arguments.requiredName("product"),
            range: try arguments.timeRange(),
            limit: try arguments.limit(default: 100, maximum: limits.maxPage),
            order: try arguments.order()
        )
        query.after = try arguments.cursor(for: query.identity, key: cursorKey)
        return query
    }

    static let latestDescriptor = OperationDescriptor(
        name: "ticks.latest", group: .read,
        summary: "The newest tick of a product.",
        arguments: [.init("product", "string", required: true, "Product name.")],
        result: "{tick: tick}",
        errors: [.notFound]
    )

    static func latest(_ ticks: any TickRepository) -> Operation {
        return Operation(latestDescriptor) { arguments, context in
            let product = try arguments.requiredName("product")
            return AsyncWork.run(context) {
                guard let tick = try await ticks.latest(product: product) else {
                    throw WireError(.notFound, "no ticks for product '\(product)'")
                }
                return ["tick": .document(tick.document)]
            }
        }
    }

    static let ohlcDescriptor = OperationDescriptor(
        name: "ticks.ohlc", group: .read,
        summary: "Open/high/low/close bars of a product's ticks. Windows are aligned to the Unix epoch (UTC); the newest `limit` windows that have ticks are returned, oldest first.",
        arguments: [
            .init("product", "string", required: true, "Product name."),
            .init("window", "string", required: true, "\"1m\", \"5m\", \"15m\" or \"1h\"."),
        ] + rangeArguments + [.init("limit", "int32|int64", "Number of bars, 1 to max_page (default 100).")],
        result: "{product: string, window: string, bars: [{start: datetime, open: double, high: double, low: double, close: double, count: int32}]}"
    )

    static func ohlc(_ ticks: any TickRepository, _ limits: DaemonLimits) -> Operation {
        return Operation(ohlcDescriptor) { arguments, context in
            let query = try Self.parseBarQuery(arguments, limits: limits)
            let product = query.product
            let window = query.window
            return AsyncWork.run(context) {
                let bars = try await ticks.bars(query)
                let values: [BSONValue] = bars.map { bar in
                    .document([
                        "start": .datetime(bar.start), "open": .double(bar.open), "high": .double(bar.high),
                        "low": .double(bar.low), "close": .double(bar.close), "count": .int32(Int32(clamping: bar.count)),
                    ])
                }
                return ["product": .string(product), "window": .string(window.rawValue), "bars": .array(values)]
            }
        }
    }

    /// `ticks.ohlc`'s arguments as a query, checked in the order §14.2.10 gives.
    static func parseBarQuery(_ arguments: Arguments, limits: DaemonLimits) throws -> BarQuery {
        let product = try arguments.requiredName("product")
        let windowText = try arguments.requiredString("window", maxBytes: 8)
        guard let window = BarWindow(rawValue: windowText) else {
            throw WireError.invalidArgument(field: "window", reason: "must be one of 1m, 5m, 15m, 1h")
        }
        return BarQuery(product: product, window: window, range: try arguments.timeRange(), limit: try arguments.limit(default: 100, maximum: limits.maxPage))
    }
}
