import BSONCore
import Foundation

extension DeltaStoreClient {
    /// `ticks.insert`: stores a batch, all or nothing. Ticks with a `tick_id`
    /// are idempotent on (product, tick_id, timestamp): re-sending them counts
    /// them as duplicates; a tick with that key but another document is a
    /// conflict (not stored, its position in `conflicts`).
    public func insertTicks(_ ticks: [BSONDocument], deadline: Duration? = nil) async throws -> InsertResult {
        try InsertResult(try await call("ticks.insert", ["ticks": ticks.bsonArray], deadline: deadline), op: "ticks.insert")
    }

    /// `ticks.query`: one page of a product's ticks in `[start, end]`.
    public func ticks(
        product: String, start: Date? = nil, end: Date? = nil, limit: Int? = nil, order: QueryOrder? = nil,
        cursor: String? = nil, deadline: Duration? = nil
    ) async throws -> TickPage {
        var args = ArgumentList()
        args.add("product", product)
        args.add("start", start)
        args.add("end", end)
        args.add("limit", limit)
        args.add("order", order?.rawValue)
        args.add("cursor", cursor)
        return try TickPage(try await call("ticks.query", args.document, deadline: deadline))
    }

    /// Every page of `ticks.query` with these arguments, following `next`
    /// (see `PageSequence`); `limit` is the size of each page.
    public func tickPages(
        product: String, start: Date? = nil, end: Date? = nil, limit: Int? = nil, order: QueryOrder? = nil, deadline: Duration? = nil
    ) -> PageSequence<TickPage> {
        PageSequence { cursor in
            try await self.ticks(product: product, start: start, end: end, limit: limit, order: order, cursor: cursor, deadline: deadline)
        }
    }

    /// `ticks.latest`: the product's newest tick; `NOT_FOUND` when it has none.
    public func latestTick(product: String, deadline: Duration? = nil) async throws -> BSONDocument {
        let result = try await call("ticks.latest", ["product": .string(product)], deadline: deadline)
        return try ResultReader(result, op: "ticks.latest").subdocument("tick")
    }

    /// `ticks.ohlc`: bars of the newest `limit` windows, oldest first.
    public func ohlc(
        product: String, window: OHLCWindow, start: Date? = nil, end: Date? = nil, limit: Int? = nil, deadline: Duration? = nil
    ) async throws -> OHLCSeries {
        var args = ArgumentList()
        args.add("product", product)
        args.add("window", window.rawValue)
        args.add("start", start)
        args.add("end", end)
        args.add("limit", limit)
        return try OHLCSeries(try await call("ticks.ohlc", args.document, deadline: deadline))
    }
}
