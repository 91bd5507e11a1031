import BSONCore
import Domain
import Testing

/// Time ranges, orders, limits and keyset pagination.
@Suite("Contract: ranges, orders, pagination")
struct PaginationTests {
    @Test(arguments: StoreUnderTest.allCases, SortOrder.allCases)
    func timeRangesAreInclusive(_ kind: StoreUnderTest, _ order: SortOrder) async throws {
        try await kind.withStore { (store: any MarketStore) in
            let times = (0..<11).map { marketOpen + Int64($0) * 1_000 }
            let ticks = try times.map { try Make.tick("NIFTY", at: $0) }
            _ = try await store.ticks.insert(ticks)
            let quotes = try times.map { try Make.quote("NIFTY", strike: 22000, expiry: "2024-03-28", .call, at: $0) }
            _ = try await store.quotes.insert(quotes)
            let chains = try times.map { try Make.chain("NIFTY", expiry: "2024-03-28", at: $0) }
            _ = try await store.chains.insert(chains)

            let cases: [(TimeRange, [Int64])] = [
                (TimeRange(start: times[3], end: times[7]), Array(times[3...7])),
                (TimeRange(start: times[3]), Array(times[3...])),
                (TimeRange(end: times[7]), Array(times[...7])),
                (TimeRange(start: times[5], end: times[5]), [times[5]]),
                (TimeRange(start: times[3] + 1, end: times[7] - 1), Array(times[4...6])),
                (TimeRange(start: times[7], end: times[3]), []),
                (TimeRange(), times),
            ]
            for (range, expected) in cases {
                let ordered = order == .ascending ? expected : expected.reversed()
                let tickPage = try await store.ticks.query(TickQuery(product: "NIFTY", range: range, limit: 100, order: order))
                #expect(tickPage.records.map(\.timestamp) == ordered, "ticks \(range)")
                let quotePage = try await store.quotes.query(QuoteQuery(product: "NIFTY", range: range, limit: 100, order: order))
                #expect(quotePage.records.map(\.timestamp) == ordered, "quotes by product \(range)")
                let symbolPage = try await store.quotes.query(QuoteQuery(symbol: quotes[0].symbol, range: range, limit: 100, order: order))
                #expect(symbolPage.records.map(\.timestamp) == ordered, "quotes by symbol \(range)")
                let chainPage = try await store.chains.query(ChainQuery(product: "NIFTY", range: range, limit: 100, order: order))
                #expect(chainPage.records.map(\.timestamp) == ordered, "chains \(range)")
                let expiryPage = try await store.chains.query(ChainQuery(product: "NIFTY", expiry: "2024-03-28", range: range, limit: 100, order: order))
                #expect(expiryPage.records.map(\.timestamp) == ordered, "chains by expiry \(range)")
            }
        }
    }

    @Test(arguments: StoreUnderTest.allCases)
    func queriesAreNewestFirstUnlessAscending(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            var generator = SeededGenerator(seed: 7)
            let ticks = try (0..<40).map { _ in try Make.tick("NIFTY", at: marketOpen + Int64.random(in: 0..<20, using: &generator) * 1_000, price: 100) }
            _ = try await store.ticks.insert(ticks)
            // Expected: by (timestamp, insertion); equal timestamps keep insertion order.
            let ascending = ticks.enumerated().sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }.map(\.element)

            let defaultOrder = try await store.ticks.query(TickQuery(product: "NIFTY", limit: 100))
            #expect(defaultOrder.records == ascending.reversed())
            let asc = try await store.ticks.query(TickQuery(product: "NIFTY", limit: 100, order: .ascending))
            #expect(asc.records == ascending)
            // Documents identical, so compare positions through timestamps too.
            #expect(asc.records.map(\.timestamp) == ascending.map(\.timestamp))
        }
    }

    @Test(arguments: StoreUnderTest.allCases, SortOrder.allCases)
    func limitIsHonouredExactly(_ kind: StoreUnderTest, _ order: SortOrder) async throws {
        try await kind.withStore { (store: any MarketStore) in
            let ticks = try (0..<10).map { try Make.tick("NIFTY", at: marketOpen + Int64($0), tickID: .int32(Int32($0))) }
            _ = try await store.ticks.insert(ticks)
            let expected = order == .ascending ? ticks : ticks.reversed()
            for limit in [1, 3, 9] {
                let page = try await store.ticks.query(TickQuery(product: "NIFTY", limit: limit, order: order))
                #expect(page.records == Array(expected.prefix(limit)))
                #expect(page.next != nil, "more records follow a page of \(limit)")
            }
            for limit in [10, 11, 1000] {
                let page = try await store.ticks.query(TickQuery(product: "NIFTY", limit: limit, order: order))
                #expect(page.records == expected)
                #expect(page.next == nil, "nothing follows when the page holds every record")
            }
            let quotes = try (0..<6).map { try Make.quote("NIFTY", strike: 22000, expiry: "2024-03-28", .put, at: marketOpen + Int64($0)) }
            _ = try await store.quotes.insert(quotes)
            #expect(try await store.quotes.query(QuoteQuery(product: "NIFTY", limit: 4, order: order)).records.count == 4)
            let chains = try (0..<6).map { try Make.chain("NIFTY", expiry: "2024-03-28", at: marketOpen + Int64($0)) }
            _ = try await store.chains.insert(chains)
            #expect(try await store.chains.query(ChainQuery(product: "NIFTY", limit: 5, order: order)).records.count == 5)
        }
    }

    /// Every tick present at the first page comes exactly once, in order, while
    /// ticks are inserted between pages inside and outside the range.
    @Test(arguments: StoreUnderTest.allCases, SortOrder.allCases)
    func tickPaginationSurvivesConcurrentInserts(_ kind: StoreUnderTest, _ order: SortOrder) async throws {
        try await kind.withStore { (store: any MarketStore) in
            var generator = SeededGenerator(seed: 11)
            let range = TimeRange(start: marketOpen, end: marketOpen + 600_000)
            // Timestamps in the range (with repeats, and the exact bounds), and some outside.
            var original = try [range.start!, range.end!].map { try Make.tick("NIFTY", at: $0, price: 1) }
            original += try (0..<150).map { _ in try Make.tick("NIFTY", at: marketOpen + Int64.random(in: 0...600, using: &generator) * 1_000, price: 2) }
            let outside = try [marketOpen - 1, marketOpen + 600_001].map { try Make.tick("NIFTY", at: $0, price: 3) }
            let otherProduct = try Make.tick("BANKNIFTY", at: marketOpen + 5_000)
            _ = try await store.ticks.insert(original + outside + [otherProduct])

            let query = TickQuery(product: "NIFTY", range: range, limit: 7, order: order)
            var added: [Tick] = []
            let (records, pages) = try await collectPages(limit: 7, identity: query.identity, fetch: { cursor in
                var next = query
                next.after = cursor
                return try await store.ticks.query(next)
            }, between: { page in
                // Inside the range (older, newer, at the bounds) and outside it.
                let inside = try [
                    Make.tick("NIFTY", at: marketOpen + Int64.random(in: 0...600, using: &generator) * 1_000, price: 4),
                    Make.tick("NIFTY", at: range.start!, price: 5),
                    Make.tick("NIFTY", at: range.end!, price: 6),
                ]
                let beyond = try [Make.tick("NIFTY", at: range.end! + Int64(page), price: 7), Make.tick("NIFTY", at: range.start! - Int64(page), price: 8)]
                _ = try await store.ticks.insert(inside + beyond)
                added += inside
            })
            #expect(pages >= original.count / 7)
            try checkPagination(records, original: original, added: added, range: range, order: order)
        }
    }

    @Test(arguments: StoreUnderTest.allCases, SortOrder.allCases)
    func quoteAndChainPaginationSurvivesConcurrentInserts(_ kind: StoreUnderTest, _ order: SortOrder) async throws {
        try await kind.withStore { (store: any MarketStore) in
            var generator = SeededGenerator(seed: 13)
            let strikes: [Double] = [21900, 22000, 22100]
            var quotes: [Quote] = []
            var chains: [Chain] = []
            for minute in 0..<15 {
                let ts = marketOpen + Int64(minute) * 60_000
                for strike in strikes {
                    for type in Quote.OptionType.allCases {
                        quotes.append(try Make.quote("NIFTY", strike: strike, expiry: "2024-03-28", type, at: ts))
                    }
                }
                chains.append(try Make.chain("NIFTY", expiry: "2024-03-28", at: ts))
                chains.append(try Make.chain("NIFTY", expiry: "2024-04-25", at: ts))
            }
            _ = try await store.quotes.insert(quotes)
            _ = try await store.chains.insert(chains)
            let range = TimeRange(start: marketOpen, end: marketOpen + 14 * 60_000)

            var addedQuotes: [Quote] = []
            let quoteQuery = QuoteQuery(product: "NIFTY", range: range, limit: 5, order: order)
            let (quotePages, _) = try await collectPages(limit: 5, identity: quoteQuery.identity, fetch: { cursor in
                var next = quoteQuery
                next.after = cursor
                return try await store.quotes.query(next)
            }, between: { page in
                let ts = marketOpen + Int64.random(in: 0...14, using: &generator) * 60_000 + Int64(page)
                let inside = try Make.quote("NIFTY", strike: 22200 + Double(page), expiry: "2024-03-28", .call, at: ts)
                let outside = try Make.quote("NIFTY", strike: 22200 + Double(page), expiry: "2024-03-28", .put, at: range.end! + Int64(page))
                _ = try await store.quotes.insert([inside, outside])
                addedQuotes.append(inside)
            })
            try checkPagination(quotePages, original: quotes, added: addedQuotes, range: range, order: order)

            var addedChains: [Chain] = []
            let chainQuery = ChainQuery(product: "NIFTY", range: range, limit: 4, order: order)
            let (chainPages, _) = try await collectPages(limit: 4, identity: chainQuery.identity, fetch: { cursor in
                var next = chainQuery
                next.after = cursor
                return try await store.chains.query(next)
            }, between: { page in
                let ts = marketOpen + Int64.random(in: 0...14, using: &generator) * 60_000 + Int64(page)
                let inside = try Make.chain("NIFTY", expiry: "2024-05-30", at: ts)
                let outside = try Make.chain("NIFTY", expiry: "2024-05-30", at: range.start! - Int64(page))
                _ = try await store.chains.insert([inside, outside])
                addedChains.append(inside)
            })
            try checkPagination(chainPages, original: chains, added: addedChains, range: range, order: order)

            // The same with one expiry (another index).
            let byExpiry = ChainQuery(product: "NIFTY", expiry: "2024-03-28", range: range, limit: 3, order: order)
            let (expiryPages, _) = try await collectPages(limit: 3, identity: byExpiry.identity, fetch: { cursor in
                var next = byExpiry
                next.after = cursor
                return try await store.chains.query(next)
            })
            let expected = chains.filter { $0.expiry == "2024-03-28" }
            #expect(expiryPages.map(\.document) == (order == .ascending ? expected : expected.reversed()).map(\.document))
        }
    }

    /// Many records with one timestamp, across page boundaries.
    @Test(arguments: StoreUnderTest.allCases, SortOrder.allCases)
    func equalTimestampsPaginateCorrectly(_ kind: StoreUnderTest, _ order: SortOrder) async throws {
        try await kind.withStore { (store: any MarketStore) in
            let before = try (0..<3).map { try Make.tick("NIFTY", at: marketOpen - 1, price: 1, tickID: .string("b\($0)")) }
            let same = try (0..<25).map { try Make.tick("NIFTY", at: marketOpen, price: 2, tickID: .string("s\($0)")) }
            let after = try (0..<3).map { try Make.tick("NIFTY", at: marketOpen + 1, price: 3, tickID: .string("a\($0)")) }
            // Inserted in separate batches and interleaved, so insertion order is not timestamp order.
            _ = try await store.ticks.insert(Array(same[0..<10]) + after)
            _ = try await store.ticks.insert(before + Array(same[10...]))
            let all = before + same + after
            let expected = order == .ascending ? all : all.reversed()
            for limit in [1, 4, 7, 10, 25, 26] {
                let query = TickQuery(product: "NIFTY", limit: limit, order: order)
                let (records, pages) = try await collectPages(limit: limit, identity: query.identity) { cursor in
                    var next = query
                    next.after = cursor
                    return try await store.ticks.query(next)
                }
                #expect(records.map(\.tickID) == expected.map(\.tickID), "limit \(limit)")
                #expect(pages == (all.count + limit - 1) / limit, "limit \(limit)")
            }

            // Quotes by product: a whole chain snapshot shares one timestamp.
            let snapshot = try stride(from: 21000.0, through: 23000, by: 100).map { try Make.quote("NIFTY", strike: $0, expiry: "2024-03-28", .call, at: marketOpen) }
            _ = try await store.quotes.insert(snapshot)
            let quoteQuery = QuoteQuery(product: "NIFTY", limit: 6, order: order)
            let (quotes, _) = try await collectPages(limit: 6, identity: quoteQuery.identity) { cursor in
                var next = quoteQuery
                next.after = cursor
                return try await store.quotes.query(next)
            }
            #expect(quotes == (order == .ascending ? snapshot : snapshot.reversed()))
        }
    }
}

/// The keyset guarantee: each original record exactly once, nothing outside the
/// range, records added meanwhile at most once, everything in order.
func checkPagination<Record: TimeOrdered>(_ records: [Record], original: [Record], added: [Record], range: TimeRange, order: SortOrder) throws {
    #expect(records.allSatisfy { range.contains($0.timestamp) }, "every record is inside the range")
    let counts = Dictionary(records.map { ($0.identity, 1) }, uniquingKeysWith: +)
    for record in original {
        #expect(counts[record.identity] == record.copies(in: original), "original record \(record.timestamp) comes exactly once")
    }
    let allowed = Set((original + added).map(\.identity))
    #expect(records.allSatisfy { allowed.contains($0.identity) }, "only original or added records")
    for record in added {
        #expect((counts[record.identity] ?? 0) <= record.copies(in: original + added))
    }
    let times = records.map(\.timestamp)
    #expect(times == (order == .ascending ? times.sorted() : times.sorted(by: >)), "records are in \(order) order")
    // Among the original records, equal timestamps keep insertion order (reversed when descending).
    let originalOrder = Dictionary(original.enumerated().map { ($0.element.identity, $0.offset) }, uniquingKeysWith: min)
    let seen = records.compactMap { record in originalOrder[record.identity].map { (record.timestamp, $0) } }
    let expected = seen.sorted { order == .ascending ? $0 < $1 : $0 > $1 }
    #expect(seen.map(\.1) == expected.map(\.1), "ties follow insertion order")
}

/// What `checkPagination` needs of a record.
protocol TimeOrdered {
    var timestamp: Int64 { get }
    var document: BSONDocument { get }
}

extension TimeOrdered {
    var identity: BSONDocument { document }
    func copies(in records: [Self]) -> Int { records.filter { $0.identity == identity }.count }
}

extension Tick: TimeOrdered {}
extension Quote: TimeOrdered {}
extension Chain: TimeOrdered {}
