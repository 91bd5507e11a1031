import BSONCore
import Domain
@_spi(Testing) @testable import MongoStore
import Testing
import TestSupport

/// Client data never becomes a query operator: filters are built from typed,
/// validated values, every equality is `{$eq: value}`, and values that look
/// like operators are stored and matched literally.
@Suite("MongoDB store: operator-looking data")
struct QuerySafetyTests {
    /// The commands the stand-in received, by name.
    static func commands(_ standIn: MongoStandInProcess, named name: String) throws -> [BSONDocument] {
        try standIn.recordedCommands().filter { $0.name == name }.map { try BSONDocument(validating: $0.bson) }
    }

    @Test func everyFilterIsAnEqualityOrRangeOnTypedValues() async throws {
        try await withStandIn(recording: true) { standIn, store in
            _ = try await store.ticks.query(TickQuery(product: "N.F-TY_1", range: TimeRange(start: marketOpen, end: marketOpen + 5), limit: 5))
            _ = try await store.quotes.query(QuoteQuery(
                symbol: "NIFTY-X", product: "NIFTY", expiry: "2024-03-28", optionType: .put, strikeMin: 100, strikeMax: 200, limit: 5
            ))
            _ = try await store.chains.latest(product: "NIFTY", expiry: "2024-03-28")
            _ = try await store.catalog.expiries(product: "NIFTY")

            let finds = try Self.commands(standIn, named: "find")
            #expect(finds.count == 3)
            let tickFilter = try #require(finds.first { $0["find"] == "underlying_ticks" }?["filter"]?.documentValue)
            #expect(tickFilter["product"] == ["$eq": "N.F-TY_1"])
            #expect(tickFilter["timestamp"] == ["$type": "date", "$gte": .datetime(marketOpen), "$lte": .datetime(marketOpen + 5)])
            let quoteFilter = try #require(finds.first { $0["find"] == "option_quotes" }?["filter"]?.documentValue)
            #expect(quoteFilter["symbol"] == ["$eq": "NIFTY-X"])
            #expect(quoteFilter["product"] == ["$eq": "NIFTY"])
            #expect(quoteFilter["expiry"] == ["$eq": "2024-03-28"])
            #expect(quoteFilter["option_type"] == ["$eq": "PUT"])
            #expect(quoteFilter["strike"] == ["$gte": 100.0, "$lte": 200.0])
            let chainFilter = try #require(finds.first { $0["find"] == "option_chains" }?["filter"]?.documentValue)
            #expect(chainFilter["product"] == ["$eq": "NIFTY"])
            #expect(chainFilter["expiry"] == ["$eq": "2024-03-28"])
            let distinct = try Self.commands(standIn, named: "distinct")
            #expect(distinct.allSatisfy { $0["query"]?.documentValue?["product"] == ["$eq": "NIFTY"] })
        }
    }

    /// `w/wtimeout` of a command's write concern (libmongoc may re-encode
    /// the numbers as int32 or int64).
    static func writeConcern(_ command: BSONDocument) -> String {
        guard let concern = command["writeConcern"]?.documentValue else { return "none" }
        let w = concern["w"].map { $0.stringValue ?? $0.integerValue.map(String.init) ?? "?" } ?? "-"
        let timeout = concern["wtimeout"]?.integerValue.map(String.init) ?? "-"
        return "\(w)/\(timeout)"
    }

    @Test func insertsAreUnorderedWithTheConfiguredWriteConcern() async throws {
        try await withStandIn(recording: true) { standIn, store in
            _ = try await store.ticks.insert([Make.tick("NIFTY", at: marketOpen)])
            let insert = try #require(try Self.commands(standIn, named: "insert").first)
            #expect(insert["ordered"] == false)
            #expect(Self.writeConcern(insert) == "majority/10000")
            let builds = try Self.commands(standIn, named: "createIndexes")
            #expect(builds.count == MongoSchema.indexes.count)
            #expect(builds.allSatisfy { Self.writeConcern($0) == "majority/10000" })
        }
        try await withStandIn(recording: true, writeConcern: "1") { standIn, store in
            _ = try await store.quotes.insert([Make.quote("NIFTY-Q", at: marketOpen)])
            let insert = try #require(try Self.commands(standIn, named: "insert").first)
            #expect(Self.writeConcern(insert) == "1/-")
        }
    }

    @Test func operatorLookingValuesAreStoredAndMatchedLiterally() async throws {
        try await withStandIn { _, store in
            // Names may hold '.', the regex wildcard: it matches only itself.
            let dotted = try Make.tick("N.FTY", at: marketOpen, price: 1)
            let lookalike = try Make.tick("NXFTY", at: marketOpen, price: 2)
            let operatorText = try Make.tick("NIFTY", at: marketOpen, price: 3, tickID: "$gt", extra: [
                ("note", "$where"), ("expr", .document(["gt": "$gt", "ne": .null])), ("list", ["$in", "$or"]),
            ])
            _ = try await store.ticks.insert([dotted, lookalike, operatorText])
            #expect(try await store.ticks.query(TickQuery(product: "N.FTY", limit: 10)).records == [dotted])
            #expect(try await store.ticks.query(TickQuery(product: "NXFTY", limit: 10)).records == [lookalike])
            #expect(try await store.ticks.latest(product: "NIFTY") == operatorText)
            // A tick_id of "$gt" is a key like any other.
            #expect(try await store.ticks.insert([operatorText]) == InsertOutcome(inserted: 0, duplicates: 1))
        }
    }

    /// What would become an operator is refused before any store sees it.
    @Test func operatorShapedInputIsRefusedByValidation() throws {
        #expect(throws: FieldError.self) { try Make.tick("$where", at: marketOpen) }
        #expect(throws: FieldError.self) { try Tick(document: ["product": ["$gt": ""], "price": 1.0, "timestamp": .datetime(marketOpen)]) }
        #expect(throws: FieldError.self) { try Make.tick("NIFTY", at: marketOpen, extra: [("meta", ["$gt": 1])]) }
        #expect(throws: FieldError.self) { try Make.tick("NIFTY", at: marketOpen, extra: [("a.b", 1)]) }
        #expect(throws: FieldError.self) { try Make.tick("NIFTY", at: marketOpen, extra: [("_id", 1)]) }
        #expect(throws: FieldError.self) { try Make.quote("NIFTY-Q", product: "{\"$ne\":1}", at: marketOpen) }
        #expect(throws: FieldError.self) { try Make.quote("NIFTY-Q", expiry: "2024-02-30", at: marketOpen) }
    }
}
