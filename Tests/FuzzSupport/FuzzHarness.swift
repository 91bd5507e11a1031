import BSONCore
import Domain
import NIOCore
@_spi(Fuzzing) import RequestDispatch
import WireProtocol

/// What the fuzz target runs on each input, in a target of its own next to
/// the tests (so it is compiled, and exercised by a unit test,
/// `RequestDispatchTests.FuzzHarnessTests`, in every build — not only the
/// fuzzing one — while the daemon's modules do not carry it): the input is a
/// byte stream as a client would send it. It reaches the request path's
/// argument reading through `RequestDispatch`'s `@_spi(Fuzzing)`
/// `ArgumentParsing`.
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
    static let maxBatch = 1000
    static let maxPage = 1000

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

    /// The request's `args` as the arguments of every operation that reads
    /// some (whatever its `op`: one input then reaches every parser), and what
    /// a store does next with each query that parses.
    static func validateArguments(_ args: BSONDocument, builders: QueryBuilders) {
        if let query = parsed({ try ArgumentParsing.tickQuery(args, maxPage: maxPage, cursorKey: cursorKey) }) {
            builders.ticks(query)
            followCursor(query.identity, after: query.after, range: query.range, order: query.order)
        }
        if let query = parsed({ try ArgumentParsing.quoteQuery(args, maxPage: maxPage, cursorKey: cursorKey) }) {
            builders.quotes(query)
            followCursor(query.identity, after: query.after, range: query.range, order: query.order)
        }
        if let query = parsed({ try ArgumentParsing.chainQuery(args, maxPage: maxPage, cursorKey: cursorKey) }) {
            builders.chains(query)
            followCursor(query.identity, after: query.after, range: query.range, order: query.order)
        }
        if let query = parsed({ try ArgumentParsing.barQuery(args, maxPage: maxPage) }) {
            builders.bars(query)
            foldBars(query)
        }
        _ = parsed { try ArgumentParsing.ticks(args, maxBatch: maxBatch) }
        _ = parsed { try ArgumentParsing.quotes(args, maxBatch: maxBatch) }
        _ = parsed { try ArgumentParsing.chains(args, maxBatch: maxBatch) }
        _ = parsed { try ArgumentParsing.others(args) }
    }

    /// What `parse` returns, nil for the client's errors. A reader that
    /// disagrees with its operation's descriptor is the server's bug: a crash,
    /// for the fuzzer to report.
    static func parsed<T>(_ parse: () throws -> T) -> T? {
        do {
            return try parse()
        } catch let misread as Arguments.Misread {
            fatalError("an operation reads its arguments otherwise than its descriptor declares them: \(misread)")
        } catch {
            return nil
        }
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
