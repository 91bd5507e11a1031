import BSONCore
import Domain
import Testing

/// Every field a producer sent comes back, byte for byte.
@Suite("Contract: round trip")
struct RoundTripTests {
    /// Extra fields of many BSON types, including nested documents and arrays.
    static let extras: [(String, BSONValue)] = [
        ("processed_at", .datetime(marketOpen + 12)),
        ("source", .string("enricher/7")),
        ("cumulative_volume", .int64(9_007_199_254_740_993)),
        ("lots", .int32(-3)),
        ("flags", .array([.bool(true), .null, .string("ü—✓"), .double(-0.0)])),
        ("meta", .document(["venue": "NSE", "depth": .document(["bid": .array([1, 2, 3]), "ask": .array([])])])),
        ("raw", .binary(subtype: 0, data: [0, 1, 2, 255])),
        ("oid", .objectID(BSONObjectID(hex: "65e1a0c0f1e2d3c4b5a69788")!)),
        ("dec", .decimal128(BSONDecimal128("22012.50")!)),
        ("empty", .document(BSONDocument())),
    ]

    @Test(arguments: StoreUnderTest.allCases)
    func ticksComeBackExactlyAsSent(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            let sent = [
                try Make.tick("NIFTY", at: marketOpen, price: 22_001.25, tickID: "t-1", extra: Self.extras),
                try Make.tick("NIFTY", at: marketOpen + 1, price: 22_002, tickID: .int64(42)),
                try Make.tick("NIFTY", at: marketOpen + 2, price: 22_003.5, extra: [("note", "no tick_id")]),
                // An integer price is kept as the int32 it was sent as.
                try Tick(document: ["product": "NIFTY", "price": .int32(22_004), "timestamp": .datetime(marketOpen + 3)]),
            ]
            let outcome = try await store.ticks.insert(sent)
            #expect(outcome == InsertOutcome(inserted: 4, duplicates: 0))

            let page = try await store.ticks.query(TickQuery(product: "NIFTY", limit: 10, order: .ascending))
            #expect(page.records.map(\.document.bytes) == sent.map(\.document.bytes))
            #expect(page.records == sent)
            #expect(page.next == nil)
            #expect(page.records.map(\.tickID) == sent.map(\.tickID))

            let latest = try await store.ticks.latest(product: "NIFTY")
            #expect(latest?.document.bytes == sent[3].document.bytes)
        }
    }

    @Test(arguments: StoreUnderTest.allCases)
    func quotesComeBackExactlyAsSent(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            let sent = [
                try Make.quote("NIFTY", strike: 22000, expiry: "2024-03-28", .call, at: marketOpen, extra: Self.extras),
                try Make.quote("NIFTY", strike: 22000, expiry: "2024-03-28", .put, at: marketOpen),
                try Make.quote("NIFTY", strike: 22100, expiry: "2024-04-25", .call, at: marketOpen + 1_000),
            ]
            #expect(try await store.quotes.insert(sent) == InsertOutcome(inserted: 3, duplicates: 0))
            let page = try await store.quotes.query(QuoteQuery(product: "NIFTY", limit: 10, order: .ascending))
            #expect(page.records.map(\.document.bytes) == sent.map(\.document.bytes))
            #expect(page.records == sent)

            let bySymbol = try await store.quotes.query(QuoteQuery(symbol: sent[0].symbol, limit: 10))
            #expect(bySymbol.records == [sent[0]])
        }
    }

    @Test(arguments: StoreUnderTest.allCases)
    func chainsWithNestedQuoteArraysComeBackExactlyAsSent(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            let strikes = stride(from: 21_000.0, through: 23_000, by: 50).map { $0 }
            let sent = [
                try Make.chain("NIFTY", expiry: "2024-03-28", at: marketOpen, strikes: strikes, extra: Self.extras),
                try Make.chain("NIFTY", expiry: "2024-04-25", at: marketOpen),
            ]
            #expect(sent[0].document["calls"]?.arrayValue?.count == strikes.count)
            #expect(try await store.chains.insert(sent) == InsertOutcome(inserted: 2, duplicates: 0))

            let page = try await store.chains.query(ChainQuery(product: "NIFTY", limit: 10, order: .ascending))
            #expect(page.records.map(\.document.bytes) == sent.map(\.document.bytes))
            #expect(page.records == sent)

            let latest = try await store.chains.latest(product: "NIFTY", expiry: "2024-03-28")
            #expect(latest == sent[0])
            let calls = latest?.document["calls"]?.arrayValue
            #expect(calls?.first?.documentValue?["strike"] == .double(21_000))
            #expect(calls?.first?.documentValue == sent[0].document["calls"]?.arrayValue?.first?.documentValue)
        }
    }
}
