import Testing
import BSONCore
import Domain

/// SplitMix64: a small seeded generator, so every run sees the same "random" data.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A base time (2024-03-01T09:15:00Z) so test data looks like market data.
let marketOpen: Int64 = 1_709_284_500_000

/// Records built the way a producer sends them, validated by the domain rules.
enum Make {
    static func tick(
        _ product: String,
        at timestamp: Int64,
        price: Double = 100,
        tickID: BSONValue? = nil,
        extra: [(String, BSONValue)] = []
    ) throws -> Tick {
        var pairs: [(String, BSONValue)] = [("product", .string(product)), ("price", .double(price)), ("timestamp", .datetime(timestamp))]
        if let tickID { pairs.append(("tick_id", tickID)) }
        pairs += extra
        return try Tick(document: BSONDocument(pairs))
    }

    static func quoteDocument(
        symbol: String,
        product: String,
        strike: Double,
        expiry: String,
        type: Quote.OptionType,
        at timestamp: Int64,
        extra: [(String, BSONValue)] = []
    ) -> BSONDocument {
        BSONDocument([
            ("symbol", .string(symbol)), ("product", .string(product)), ("strike", .double(strike)),
            ("expiry", .string(expiry)), ("option_type", .string(type.rawValue)),
            ("bid", .double(strike / 10)), ("ask", .double(strike / 10 + 0.5)), ("last", .double(strike / 10 + 0.25)),
            ("volume", .int64(1200)), ("open_interest", .int32(5400)),
            ("delta", .double(type == .call ? 0.52 : -0.48)), ("gamma", .double(0.0013)), ("vega", .double(11.2)),
            ("theta", .double(-4.1)), ("iv", .double(0.164)),
            ("timestamp", .datetime(timestamp)),
        ] + extra)
    }

    static func quote(
        symbol: String? = nil,
        _ product: String,
        strike: Double,
        expiry: String,
        _ type: Quote.OptionType,
        at timestamp: Int64,
        extra: [(String, BSONValue)] = []
    ) throws -> Quote {
        let symbol = symbol ?? optionSymbol(product, strike: strike, expiry: expiry, type)
        return try Quote(document: quoteDocument(symbol: symbol, product: product, strike: strike, expiry: expiry, type: type, at: timestamp, extra: extra))
    }

    /// `NIFTY-2024-03-28-22000-CALL` style, restricted to the name alphabet.
    static func optionSymbol(_ product: String, strike: Double, expiry: String, _ type: Quote.OptionType) -> String {
        "\(product)-\(expiry)-\(strike < 1e15 ? String(Int(strike)) : "huge")-\(type.rawValue)"
    }

    static func chain(
        _ product: String,
        expiry: String,
        at timestamp: Int64,
        strikes: [Double] = [21900, 22000, 22100],
        extra: [(String, BSONValue)] = []
    ) throws -> Chain {
        let calls = strikes.map { BSONValue.document(quoteDocument(symbol: optionSymbol(product, strike: $0, expiry: expiry, .call), product: product, strike: $0, expiry: expiry, type: .call, at: timestamp)) }
        let puts = strikes.map { BSONValue.document(quoteDocument(symbol: optionSymbol(product, strike: $0, expiry: expiry, .put), product: product, strike: $0, expiry: expiry, type: .put, at: timestamp)) }
        let document = BSONDocument([
            ("product", .string(product)), ("expiry", .string(expiry)),
            ("spot_price", .double(22_012.5)), ("pcr_oi", .double(0.93)), ("pcr_volume", .double(1.07)),
            ("atm_strike", .double(22000)), ("atm_straddle_price", .double(312.4)), ("max_pain_strike", .double(21900)),
            ("total_call_oi", .int64(1_250_000)), ("total_put_oi", .int64(1_162_500)),
            ("call_buildup_otm", .double(0.41)), ("put_buildup_otm", .double(0.37)),
            ("calls", .array(calls)), ("puts", .array(puts)),
            ("timestamp", .datetime(timestamp)),
        ] + extra)
        return try Chain(document: document)
    }
}

/// The key contract tests seal cursors with (the daemon's comes from its state directory).
let testCursorKey = CursorKey(secret: Array(repeating: 0x42, count: CursorKey.secretBytes))!

/// Every page of a query, with `between` run after each page (to insert data
/// while paginating). The cursor makes the round trip through its sealed
/// wire text, opened for the query's `identity`.
func collectPages<Record>(
    limit: Int,
    identity: QueryIdentity,
    fetch: (PageCursor?) async throws -> Page<Record>,
    between: (Int) async throws -> Void = { _ in }
) async throws -> (records: [Record], pages: Int) {
    var records: [Record] = []
    var cursor: PageCursor?
    var pages = 0
    repeat {
        let page = try await fetch(cursor)
        pages += 1
        #expect(page.records.count <= limit)
        if page.next != nil { #expect(page.records.count == limit, "a page followed by another is full") }
        records += page.records
        if let next = page.next {
            cursor = try testCursorKey.open(testCursorKey.seal(next), for: identity)
        } else {
            cursor = nil
        }
        try await between(pages)
        if pages > 10_000 { Issue.record("pagination does not end"); break }
    } while cursor != nil
    return (records, pages)
}
