import BSONCore
import Domain
import Testing

/// A property test over the edges of every value a client can send or a
/// store can hold: records at the limits of the accepted time range, prices
/// and strikes from the smallest subnormal to the largest double and Int64,
/// tick_ids at the Int64 and Int32 extremes, NaN, ±Infinity, -0.0 and
/// datetimes of ±2^63 in free fields, ticks an older store could hold at
/// -2^63 and 2^63-1 ms; and every query operation with bounds at the Int64
/// extremes, in both orders, page after page. Every answer is checked
/// against a model computed here, on both stores; nothing may trap.
///
/// The cases come from `SeededGenerator` (seed per run below), so a failure
/// replays exactly.
@Suite("Contract: extreme values")
struct ExtremeValueTests {
    static let times: [Int64] = [
        RecordTime.earliest, RecordTime.earliest + 1, RecordTime.earliest + 3_599_999, -3_600_001, -60_000, -1, 0, 1, marketOpen,
        RecordTime.latest - 3_600_000, RecordTime.latest - 1, RecordTime.latest,
    ]
    static let prices: [BSONValue] = [
        .double(5e-324), .double(.leastNormalMagnitude), .double(1), .double(9_007_199_254_740_992), .int64(9_007_199_254_740_993),
        .double(.greatestFiniteMagnitude), .int64(.max), .int32(.max), .int32(1),
    ]
    static let freeFields: [(String, BSONValue)] = [
        ("nan", .double(.nan)), ("negative_zero", .double(-0.0)), ("infinity", .double(.infinity)), ("minus_infinity", .double(-.infinity)),
        ("int64_min", .int64(.min)), ("at_min", .datetime(.min)), ("at_max", .datetime(.max)), ("minus_2_53", .double(-9_007_199_254_740_992)),
        ("nested", .array([.array([.double(.nan)]), .document(["deep": .datetime(.min)])])),
    ]
    static let bounds: [Int64?] = [nil, .min, RecordTime.earliest - 1, RecordTime.earliest, -1, 0, marketOpen, RecordTime.latest, RecordTime.latest + 1, .max]
    static let strikeBounds: [Double?] = [nil, -.greatestFiniteMagnitude, -0.0, 0, 5e-324, 1, 9_007_199_254_740_992, .greatestFiniteMagnitude]
    static let limits = [2, 7, 50, 1000]

    /// A stored record as the model sees it: its kind's fields, its document,
    /// and its insertion rank (the tiebreaker of equal timestamps).
    struct Stored<Record> {
        var record: Record
        var timestamp: Int64
        var rank: Int
    }

    static func ordered<R>(_ records: [Stored<R>], _ range: TimeRange, _ order: SortOrder) -> [Stored<R>] {
        let ascending = records.filter { range.contains($0.timestamp) }.sorted { ($0.timestamp, $0.rank) < ($1.timestamp, $1.rank) }
        return order == .ascending ? ascending : ascending.reversed()
    }

    static func pick<T>(_ values: [T], _ generator: inout SeededGenerator) -> T {
        values[Int.random(in: 0..<values.count, using: &generator)]
    }

    static func randomRange(_ generator: inout SeededGenerator) -> TimeRange {
        let a = pick(bounds, &generator)
        let b = pick(bounds, &generator)
        if let a, let b, a > b { return TimeRange(start: b, end: a) }
        return TimeRange(start: a, end: b)
    }

    /// Values no record may hold are refused before any store sees them.
    @Test func outOfRangeValuesAreRefusedByTheRecordRules() throws {
        let base: BSONDocument = ["product": "NIFTY", "price": 1.0, "timestamp": .datetime(marketOpen)]
        let refused: [(String, BSONValue, String)] = [
            ("timestamp", .datetime(.min), "timestamp"), ("timestamp", .datetime(.max), "timestamp"),
            ("timestamp", .datetime(RecordTime.earliest - 1), "timestamp"), ("timestamp", .datetime(RecordTime.latest + 1), "timestamp"),
            ("price", .double(-0.0), "price"), ("price", .double(.nan), "price"), ("price", .double(-9_007_199_254_740_992), "price"),
            ("price", .double(.infinity), "price"), ("price", .int64(.min), "price"), ("price", .int32(0), "price"),
        ]
        for (key, value, field) in refused {
            #expect(throws: FieldError.self, "\(key) \(value)") { try Tick(document: base.setting(key, value)) }
            do { _ = try Tick(document: base.setting(key, value)) } catch { #expect(error.field == field) }
        }
        let quote = try Make.quote("NIFTY", strike: 1, expiry: "2024-03-28", .call, at: marketOpen)
        for strike: BSONValue in [.double(-0.0), .double(.nan), .double(-.infinity), .int64(.min)] {
            #expect(throws: FieldError.self) { try Quote(document: quote.document.setting("strike", strike)) }
        }
        #expect(throws: FieldError.self) { try Quote(document: quote.document.setting("timestamp", .datetime(.min))) }
    }

    @Test(arguments: StoreUnderTest.allCases)
    func everyQueryAnswersExactlyOverExtremeRecords(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            var generator = SeededGenerator(seed: 0xED6E)
            var ticks: [Stored<Tick>] = []
            var rank = 0
            for index in 0..<120 {
                let product = index % 5 == 0 ? "BANKNIFTY" : "NIFTY"
                let time = Bool.random(using: &generator) ? Self.pick(Self.times, &generator) : Int64.random(in: RecordTime.range, using: &generator)
                let ids: [BSONValue?] = [nil, .int64(.min + Int64(index)), .int64(.max - Int64(index)), .int32(.min + Int32(index)), .string("id-\(index)")]
                let extra = Self.freeFields.filter { _ in Int.random(in: 0..<4, using: &generator) == 0 }
                var pairs: [(String, BSONValue)] = [("product", .string(product)), ("price", Self.pick(Self.prices, &generator)), ("timestamp", .datetime(time))]
                if let id = Self.pick(ids, &generator) { pairs.append(("tick_id", id)) }
                let tick = try Tick(document: BSONDocument(pairs + extra))
                ticks.append(Stored(record: tick, timestamp: time, rank: rank))
                rank += 1
            }
            for start in stride(from: 0, to: ticks.count, by: 40) {
                let batch = ticks[start..<min(start + 40, ticks.count)].map(\.record)
                #expect(try await store.ticks.insert(batch) == InsertOutcome(inserted: batch.count, duplicates: 0))
            }
            // What an older deltastored let in: times no record may have now.
            let legacyTimes: [Int64] = kind.holdsDatetimesBeyondYears1To9999 ? [.min, .max, RecordTime.earliest - 1, RecordTime.latest + 1] : []
            if legacyTimes.isEmpty { print("note: \(kind) (the stand-in) cannot hold datetimes outside years 1 to 9999: no legacy ticks in this run") }
            for time in legacyTimes {
                let document: BSONDocument = ["product": "NIFTY", "price": 7.0, "timestamp": .datetime(time), "legacy": true]
                try await LegacyRecords.insertTick(document, into: store)
                ticks.append(Stored(record: Tick(stored: document, product: "NIFTY", price: 7, timestamp: time), timestamp: time, rank: rank))
                rank += 1
            }

            // ticks.query: every page, both orders, ranges up to the Int64 extremes.
            for _ in 0..<24 {
                let range = Self.randomRange(&generator)
                let order = Self.pick(SortOrder.allCases, &generator)
                let limit = Self.pick(Self.limits, &generator)
                for product in ["NIFTY", "BANKNIFTY"] {
                    let query = TickQuery(product: product, range: range, limit: limit, order: order)
                    let (records, _) = try await collectPages(limit: limit, identity: query.identity) { cursor in
                        var page = query
                        page.after = cursor
                        return try await store.ticks.query(page)
                    }
                    let expected = Self.ordered(ticks.filter { $0.record.product == product }, range, order)
                    #expect(records.map(\.document) == expected.map(\.record.document), "\(kind) \(product) \(range) \(order) \(limit)")
                }
            }
            for product in ["NIFTY", "BANKNIFTY", "SENSEX"] {
                let newest = Self.ordered(ticks.filter { $0.record.product == product }, TimeRange(), .descending).first
                #expect(try await store.ticks.latest(product: product)?.document == newest?.record.document, "latest \(product)")
            }

            // ticks.ohlc: every window, over the record range only (legacy ticks skipped).
            for _ in 0..<24 {
                let range = Self.randomRange(&generator)
                let window = Self.pick(BarWindow.allCases, &generator)
                let limit = Self.pick(Self.limits, &generator)
                let counted = ticks.filter { $0.record.product == "NIFTY" && range.contains($0.timestamp) && RecordTime.contains($0.timestamp) }
                let expected = Self.bars(counted, window: window, limit: limit)
                let bars = try await store.ticks.bars(BarQuery(product: "NIFTY", window: window, range: range, limit: limit))
                #expect(bars == expected, "\(kind) bars \(window) \(range) \(limit)")
            }

            try await Self.checkQuotesAndChains(store, kind, &generator)
            #expect(try await store.catalog.products() == ["BANKNIFTY", "NIFTY"])
            #expect(await store.health() == .ok)
        }
    }

    /// Bars computed plainly: windows by floor division (exact in the record range).
    static func bars(_ ticks: [Stored<Tick>], window: BarWindow, limit: Int) -> [Bar] {
        let width = window.milliseconds
        var groups: [Int64: [Stored<Tick>]] = [:]
        for tick in ticks {
            let start = (tick.timestamp >= 0 ? tick.timestamp / width : (tick.timestamp - width + 1) / width) * width
            groups[start, default: []].append(tick)
        }
        let all = groups.keys.sorted().map { start -> Bar in
            let members = groups[start, default: []].sorted { ($0.timestamp, $0.rank) < ($1.timestamp, $1.rank) }.map(\.record.price)
            return Bar(start: start, open: members.first ?? 0, high: members.max() ?? 0, low: members.min() ?? 0, close: members.last ?? 0, count: members.count)
        }
        return Array(all.suffix(limit))
    }

    static func checkQuotesAndChains(_ store: any MarketStore, _ kind: StoreUnderTest, _ generator: inout SeededGenerator) async throws {
        let strikes: [Double] = [5e-324, .leastNormalMagnitude, 1, 22_000, 9_007_199_254_740_992, .greatestFiniteMagnitude]
        let expiries = ["0001-01-01", "2024-02-29", "9999-12-31"]
        var quotes: [Stored<Quote>] = []
        for index in 0..<90 {
            // Apart by the symbol's turn, inward from the range's ends: (symbol, timestamp) stays unique.
            let base = Self.pick(Self.times, &generator)
            let time = base > 0 ? base - Int64(index / 9) * 1_000 : base + Int64(index / 9) * 1_000
            let quote = try Make.quote(
                symbol: "OPT-\(index % 9)", "NIFTY", strike: Self.pick(strikes, &generator), expiry: Self.pick(expiries, &generator),
                Self.pick(Quote.OptionType.allCases, &generator), at: time, extra: [Self.pick(Self.freeFields, &generator)]
            )
            quotes.append(Stored(record: quote, timestamp: quote.timestamp, rank: index))
        }
        // (symbol, timestamp) is unique by construction: every quote is new.
        #expect(try await store.quotes.insert(quotes.map(\.record)).inserted == quotes.count)
        for _ in 0..<24 {
            var low = Self.pick(Self.strikeBounds, &generator)
            var high = Self.pick(Self.strikeBounds, &generator)
            if let l = low, let h = high, l > h { (low, high) = (high, low) }
            let symbol: String? = Bool.random(using: &generator) ? "OPT-\(Int.random(in: 0..<9, using: &generator))" : nil
            let expiry: String? = Bool.random(using: &generator) ? Self.pick(expiries, &generator) : nil
            let type: Quote.OptionType? = Bool.random(using: &generator) ? Self.pick(Quote.OptionType.allCases, &generator) : nil
            let range = Self.randomRange(&generator)
            let order = Self.pick(SortOrder.allCases, &generator)
            let limit = Self.pick(Self.limits, &generator)
            let query = QuoteQuery(symbol: symbol, product: symbol == nil ? "NIFTY" : nil, expiry: expiry, optionType: type, strikeMin: low, strikeMax: high, range: range, limit: limit, order: order)
            let (records, _) = try await collectPages(limit: limit, identity: query.identity) { cursor in
                var page = query
                page.after = cursor
                return try await store.quotes.query(page)
            }
            let expected = Self.ordered(quotes.filter { query.matches($0.record) }, range, order)
            #expect(records.map(\.document) == expected.map(\.record.document), "\(kind) quotes \(query)")
        }

        var chains: [Stored<Chain>] = []
        for index in 0..<24 {
            let expiry = expiries[(index / Self.times.count) % expiries.count]
            let time = Self.times[index % Self.times.count]
            let chain = try Make.chain("NIFTY", expiry: expiry, at: time, strikes: [Self.pick(strikes, &generator)], extra: [Self.pick(Self.freeFields, &generator), ("a,b", 1), ("*", 2)])
            chains.append(Stored(record: chain, timestamp: time, rank: index))
        }
        #expect(try await store.chains.insert(chains.map(\.record)).inserted == chains.count)
        for fields in [nil, ["pcr_oi"], ["*"], ["a,b"], ["a", "b"], ["nan", "at_min", "nested"]] as [[String]?] {
            for expiry in [nil] + expiries.map(Optional.some) {
                let range = Self.randomRange(&generator)
                let order = Self.pick(SortOrder.allCases, &generator)
                let limit = Self.pick(Self.limits, &generator)
                let query = ChainQuery(product: "NIFTY", expiry: expiry, range: range, limit: limit, order: order, fields: fields)
                let (records, _) = try await collectPages(limit: limit, identity: query.identity) { cursor in
                    var page = query
                    page.after = cursor
                    return try await store.chains.query(page)
                }
                let keep = Set(ChainQuery.identifyingFields + (fields ?? []))
                let expected = Self.ordered(chains.filter { expiry == nil || $0.record.expiry == expiry }, range, order).map { stored in
                    fields == nil ? stored.record.document : stored.record.document.removing(Set(stored.record.document.keys).subtracting(keep))
                }
                #expect(records.map(\.document) == expected, "\(kind) chains \(query)")
            }
        }
        for expiry in expiries {
            let newest = Self.ordered(chains.filter { $0.record.expiry == expiry }, TimeRange(), .descending).first
            #expect(try await store.chains.latest(product: "NIFTY", expiry: expiry)?.document == newest?.record.document)
        }
        #expect(try await store.catalog.expiries(product: "NIFTY") == expiries)
    }
}
