import BSONCore
import Domain
import NIOCore
import WireProtocol

/// What the fuzz target runs on each input, kept in the library (so it is
/// compiled, and exercised by a unit test, in every build — not only the
/// fuzzing one): the input is a byte stream as a client would send it.
public enum FuzzHarness {
    /// Where the parsed queries go next: the fuzz target hands them to each
    /// store's query building (filters, bounds); the unit test counts them.
    public struct QueryBuilders: Sendable {
        public var ticks: @Sendable (TickQuery) -> Void
        public var quotes: @Sendable (QuoteQuery) -> Void
        public var chains: @Sendable (ChainQuery) -> Void
        public var bars: @Sendable (BarQuery) -> Void

        public init(
            ticks: @escaping @Sendable (TickQuery) -> Void = { _ in }, quotes: @escaping @Sendable (QuoteQuery) -> Void = { _ in },
            chains: @escaping @Sendable (ChainQuery) -> Void = { _ in }, bars: @escaping @Sendable (BarQuery) -> Void = { _ in }
        ) {
            self.ticks = ticks
            self.quotes = quotes
            self.chains = chains
            self.bars = bars
        }
    }

    /// The key the harness seals and opens cursors with (fixed: inputs replay).
    static let cursorKey = CursorKey(secret: Array(repeating: 0x5A, count: CursorKey.secretBytes))!
    static let limits = DaemonLimits(maxMessageBytes: 1 << 20, maxBatch: 1000, maxPage: 1000, maxInFlight: 16)

    /// Decodes frames from `bytes` and runs each request through envelope
    /// parsing and every operation's argument validation and query building.
    public static func run(_ bytes: [UInt8], builders: QueryBuilders = QueryBuilders()) {
        var decoder = BSONFrameDecoder(maximumFrameBytes: 1 << 20)
        var buffer = ByteBufferAllocator().buffer(bytes: bytes)
        while true {
            let frame: ReceivedFrame?
            do {
                frame = try decoder.decodeFrame(buffer: &buffer)
            } catch {
                return
            }
            guard let frame else {
                _ = try? decoder.decodeLast(buffer: &buffer, seenEOF: true)
                return
            }
            exercise(frame, builders: builders)
        }
    }

    static func exercise(_ frame: ReceivedFrame, builders: QueryBuilders) {
        let document = frame.document
        _ = document.relaxedExtendedJSON
        _ = document.canonicalExtendedJSON
        // The server's own envelope rules for a frame (text with a NUL included).
        switch Request.parse(frame) {
        case .failure(let rejection):
            _ = Reply.failure(id: rejection.id, error: rejection.error).document
        case .success(let request):
            validateArguments(request.args, builders: builders)
            _ = Reply(Reply.success(id: request.id, result: request.args).document)
        }
    }

    /// The request's `args` as the arguments of every market-data operation
    /// (whatever its `op`: one input then reaches every parser), and what a
    /// store does next with each query that parses.
    static func validateArguments(_ args: BSONDocument, builders: QueryBuilders) {
        if let query = try? TickOperations.parseQuery(args, limits: limits, cursorKey: cursorKey) {
            builders.ticks(query)
            followCursor(query.identity, after: query.after, range: query.range, order: query.order)
        }
        if let query = try? QuoteOperations.parseQuery(args, limits: limits, cursorKey: cursorKey) {
            builders.quotes(query)
            followCursor(query.identity, after: query.after, range: query.range, order: query.order)
        }
        if let query = try? ChainOperations.parseQuery(args, limits: limits, cursorKey: cursorKey) {
            builders.chains(query)
            followCursor(query.identity, after: query.after, range: query.range, order: query.order)
        }
        if let query = try? TickOperations.parseBarQuery(args, limits: limits) {
            builders.bars(query)
            foldBars(query)
        }
        if let items = batch("ticks", args) { _ = try? validateBatch(items, field: "ticks", Tick.init(document:)) }
        if let items = batch("quotes", args) { _ = try? validateBatch(items, field: "quotes", Quote.init(document:)) }
        if let items = batch("chains", args) { _ = try? validateBatch(items, field: "chains", Chain.init(document:)) }
        // ticks.latest, expiries.list, chains.latest; health, products.list,
        // stats (no arguments); and the core operations' readers.
        for allowed in [["product"], ["product", "expiry"], []] {
            guard let arguments = try? Arguments(args, allowed: allowed) else { continue }
            _ = try? arguments.name("product")
            _ = try? arguments.expiry("expiry", required: true)
        }
        // backup's name.
        _ = try? LifecycleOperations.parseName(args)
        if let arguments = try? Arguments(args, allowed: ["delay_ms", "client", "op"]) {
            _ = try? arguments.integer("delay_ms", in: 0...10_000)
            _ = try? arguments.string("client", maxBytes: 128)
            _ = try? arguments.string("op", maxBytes: Request.maxOpBytes)
        }
    }

    static func batch(_ field: String, _ args: BSONDocument) -> [BSONDocument]? {
        guard let arguments = try? Arguments(args, allowed: [field]) else { return nil }
        return try? arguments.batch(field, maximum: limits.maxBatch)
    }

    /// A next page of the query: the cursor sealed, opened again (as the
    /// client's next request is), and the range narrowed after it.
    static func followCursor(_ identity: QueryIdentity, after: PageCursor?, range: TimeRange, order: SortOrder) {
        for timestamp in [after?.timestamp ?? 0, range.start ?? .min, range.end ?? .max, .min, .max] {
            let cursor = PageCursor(timestamp: timestamp, recordKey: after?.recordKey ?? [1, 2, 3], query: identity)
            let token = cursorKey.seal(cursor)
            guard let opened = try? cursorKey.open(token, for: identity), opened == cursor else {
                fatalError("a cursor sealed for a query does not open for it")
            }
            _ = range.narrowed(after: timestamp, order: order)
        }
    }

    /// The bars of ticks at the query's bounds and at the Int64 extremes.
    static func foldBars(_ query: BarQuery) {
        var builder = BarBuilder(window: query.window, limit: query.limit)
        let times = [query.range.end ?? .max, query.range.start ?? .min, RecordTime.latest, 0, RecordTime.earliest, .min]
        for time in times.sorted(by: >) { builder.add(timestamp: time, price: 1) }
        _ = builder.bars
    }
}
