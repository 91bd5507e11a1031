import BSONCore
import Domain
import Testing

/// Quote filters and the chain `fields` projection.
@Suite("Contract: quote filters, chain projection")
struct QuoteAndChainQueryTests {
    static func sampleQuotes() throws -> [Quote] {
        var quotes: [Quote] = []
        for (index, ts) in [marketOpen, marketOpen + 60_000, marketOpen + 120_000].enumerated() {
            for product in ["NIFTY", "BANKNIFTY"] {
                for expiry in ["2024-03-28", "2024-04-25"] {
                    for strike in stride(from: 100.0, through: 200, by: 10) {
                        for type in Quote.OptionType.allCases {
                            // Integer strikes too: a strike sent as int32 filters like the double.
                            if index == 1 && strike == 150 {
                                let document = Make.quoteDocument(
                                    symbol: Make.optionSymbol(product, strike: strike, expiry: expiry, type), product: product,
                                    strike: strike, expiry: expiry, type: type, at: ts
                                ).setting("strike", .int32(150))
                                quotes.append(try Quote(document: document))
                            } else {
                                quotes.append(try Make.quote(product, strike: strike, expiry: expiry, type, at: ts))
                            }
                        }
                    }
                }
            }
        }
        return quotes
    }

    @Test(arguments: StoreUnderTest.allCases, SortOrder.allCases)
    func quotesAreFilteredByExpiryTypeStrikeSymbolAndProduct(_ kind: StoreUnderTest, _ order: SortOrder) async throws {
        try await kind.withStore { (store: any MarketStore) in
            let quotes = try Self.sampleQuotes()
            #expect(try await store.quotes.insert(quotes) == InsertOutcome(inserted: quotes.count, duplicates: 0))
            let symbol = Make.optionSymbol("NIFTY", strike: 150, expiry: "2024-03-28", .put)
            let queries: [QuoteQuery] = [
                QuoteQuery(product: "NIFTY", limit: 1000, order: order),
                QuoteQuery(product: "NIFTY", expiry: "2024-04-25", limit: 1000, order: order),
                QuoteQuery(product: "NIFTY", optionType: .call, limit: 1000, order: order),
                QuoteQuery(product: "NIFTY", strikeMin: 120, strikeMax: 150, limit: 1000, order: order),
                QuoteQuery(product: "NIFTY", strikeMin: 195, limit: 1000, order: order),
                QuoteQuery(product: "NIFTY", strikeMax: 100, limit: 1000, order: order),
                QuoteQuery(product: "BANKNIFTY", expiry: "2024-03-28", optionType: .put, strikeMin: 150, strikeMax: 150, limit: 1000, order: order),
                QuoteQuery(product: "BANKNIFTY", expiry: "2024-03-28", optionType: .put, strikeMin: 151, strikeMax: 159, limit: 1000, order: order),
                QuoteQuery(product: "NIFTY", expiry: "2024-03-28", range: TimeRange(start: marketOpen + 60_000, end: marketOpen + 120_000), limit: 1000, order: order),
                QuoteQuery(symbol: symbol, limit: 1000, order: order),
                QuoteQuery(symbol: symbol, product: "NIFTY", limit: 1000, order: order),
                QuoteQuery(symbol: symbol, product: "BANKNIFTY", limit: 1000, order: order),
                QuoteQuery(symbol: symbol, optionType: .call, limit: 1000, order: order),
                QuoteQuery(symbol: symbol, range: TimeRange(end: marketOpen + 60_000), limit: 1000, order: order),
                QuoteQuery(product: "SENSEX", limit: 1000, order: order),
            ]
            for query in queries {
                let matching = quotes.enumerated().filter { query.matches($0.element) && query.range.contains($0.element.timestamp) }
                let sorted = matching.sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }.map(\.element)
                let expected = order == .ascending ? sorted : sorted.reversed()
                let page = try await store.quotes.query(query)
                #expect(page.records == expected, "\(query)")
                #expect(page.next == nil)
            }
            // Spot checks of the expected counts, so the filters above are not vacuous.
            #expect(try await store.quotes.query(queries[3]).records.count == 3 * 2 * 4 * 2)
            #expect(try await store.quotes.query(queries[6]).records.count == 3)
            #expect(try await store.quotes.query(queries[7]).records.isEmpty)
            #expect(try await store.quotes.query(queries[9]).records.count == 3)
            #expect(try await store.quotes.query(queries[11]).records.isEmpty)

            // Filtered results paginate too.
            let filtered = QuoteQuery(product: "NIFTY", optionType: .put, strikeMin: 130, strikeMax: 170, limit: 4, order: order)
            let (pages, _) = try await collectPages(limit: 4, identity: filtered.identity) { cursor in
                var next = filtered
                next.after = cursor
                return try await store.quotes.query(next)
            }
            var all = filtered
            all.limit = 1000
            #expect(pages == (try await store.quotes.query(all)).records)
            #expect(pages.count == 3 * 2 * 5)
        }
    }

    @Test(arguments: StoreUnderTest.allCases)
    func chainFieldsProjectionKeepsIdentifyingAndNamedFieldsInStoredOrder(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            let chains = try [
                Make.chain("NIFTY", expiry: "2024-03-28", at: marketOpen, extra: [("note", "first")]),
                Make.chain("NIFTY", expiry: "2024-03-28", at: marketOpen + 60_000),
            ]
            _ = try await store.chains.insert(chains)
            func projected(_ chain: Chain, _ fields: [String]) -> [String] {
                let keep = Set(fields + ["product", "expiry", "timestamp"])
                return chain.document.keys.filter(keep.contains)
            }
            let cases: [[String]] = [
                ["pcr_oi", "pcr_volume"],
                ["calls", "spot_price"],
                ["note", "missing_field"],
                [],
                ["timestamp"],
            ]
            for fields in cases {
                for expiry in [nil, "2024-03-28"] as [String?] {
                    let page = try await store.chains.query(ChainQuery(product: "NIFTY", expiry: expiry, limit: 10, order: .ascending, fields: fields))
                    #expect(page.records.count == 2)
                    for (record, chain) in zip(page.records, chains) {
                        #expect(record.document.keys == projected(chain, fields), "fields \(fields)")
                        for key in record.document.keys {
                            #expect(record.document[key] == chain.document[key], "\(key) unchanged")
                        }
                        #expect(record.product == chain.product && record.expiry == chain.expiry && record.timestamp == chain.timestamp)
                    }
                }
            }
            let pcr = try await store.chains.query(ChainQuery(product: "NIFTY", limit: 10, order: .ascending, fields: ["pcr_oi"]))
            #expect(pcr.records.first?.document.keys == ["product", "expiry", "pcr_oi", "timestamp"])
            #expect(pcr.records.first?.document["calls"] == nil)
            // Without `fields`, the whole document.
            let whole = try await store.chains.query(ChainQuery(product: "NIFTY", limit: 10, order: .ascending))
            #expect(whole.records == chains)
        }
    }
}
