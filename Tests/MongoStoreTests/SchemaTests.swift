import BSONCore
import Domain
@_spi(Testing) @testable import MongoStore
import Testing
import TestSupport

/// The indexes, the stored shape of records, and that nothing the store adds
/// ever comes back.
@Suite("MongoDB store: indexes and stored shape")
struct SchemaTests {
    /// The specification, written out here rather than derived from
    /// `MongoSchema`, so a change to the indexes has to change this test too.
    static let expectedIndexes: [String: [BSONDocument]] = [
        "underlying_ticks": [
            ["name": "_id_", "key": ["_id": 1]],
            ["name": "product_1_timestamp_-1__id_-1", "key": ["product": 1, "timestamp": -1, "_id": -1]],
            ["name": "timestamp_-1", "key": ["timestamp": -1]],
            [
                "name": "product_1__deltastore_tick_key_1_timestamp_1", "key": ["product": 1, "_deltastore_tick_key": 1, "timestamp": 1], "unique": true,
                "partialFilterExpression": ["_deltastore_tick_key": ["$exists": true]],
            ],
        ],
        "option_quotes": [
            ["name": "_id_", "key": ["_id": 1]],
            ["name": "symbol_1_timestamp_-1__id_-1", "key": ["symbol": 1, "timestamp": -1, "_id": -1]],
            ["name": "product_1_timestamp_-1__id_-1", "key": ["product": 1, "timestamp": -1, "_id": -1]],
            ["name": "symbol_1_timestamp_1", "key": ["symbol": 1, "timestamp": 1], "unique": true],
            ["name": "product_1_expiry_1", "key": ["product": 1, "expiry": 1]],
            ["name": "timestamp_-1", "key": ["timestamp": -1]],
        ],
        "option_chains": [
            ["name": "_id_", "key": ["_id": 1]],
            ["name": "product_1_expiry_1_timestamp_-1__id_-1", "key": ["product": 1, "expiry": 1, "timestamp": -1, "_id": -1]],
            ["name": "product_1_timestamp_-1__id_-1", "key": ["product": 1, "timestamp": -1, "_id": -1]],
            ["name": "product_1_expiry_1_timestamp_1", "key": ["product": 1, "expiry": 1, "timestamp": 1], "unique": true],
            ["name": "timestamp_-1", "key": ["timestamp": -1]],
        ],
        "users": [
            ["name": "_id_", "key": ["_id": 1]],
            ["name": "email_1", "key": ["email": 1], "unique": true],
        ],
        "sessions": [
            ["name": "_id_", "key": ["_id": 1]],
            ["name": "token_hash_1", "key": ["token_hash": 1], "unique": true],
            ["name": "user_id_1", "key": ["user_id": 1]],
            ["name": "family_id_1", "key": ["family_id": 1]],
            ["name": "revoked_at_1", "key": ["revoked_at": 1]],
            ["name": "expires_at_1", "key": ["expires_at": 1]],
        ],
    ]

    /// The parts of a listIndexes entry the specification fixes (not `v`,
    /// which differs between servers), with integer directions as int32.
    static func essentials(_ index: BSONDocument) -> BSONDocument {
        func normalized(_ document: BSONDocument) -> BSONDocument {
            BSONDocument(document.elements.map { key, value in
                if let number = value.integerValue, value.numericValue != nil, value.boolValue == nil { return (key, .int32(Int32(number))) }
                if case .double(let d) = value { return (key, .int32(Int32(d))) }
                if let nested = value.documentValue { return (key, .document(normalized(nested))) }
                return (key, value)
            })
        }
        var pairs: [(String, BSONValue)] = []
        for key in ["name", "key", "unique", "partialFilterExpression"] {
            guard let value = index[key] else { continue }
            if key == "unique", value != .bool(true) { continue }
            pairs.append((key, value.documentValue.map { .document(normalized($0)) } ?? value))
        }
        return BSONDocument(pairs)
    }

    @Test func theIndexesCreatedAtStartAreTheSpecifiedOnesAndCreatingThemAgainChangesNothing() async throws {
        try await withStandIn { standIn, store in
            for (collection, expected) in Self.expectedIndexes {
                let listed = try await store.firstBatch(["listIndexes": .string(collection)])
                #expect(listed.map(Self.essentials) == expected.map(Self.essentials), "\(collection)")
            }
            #expect(MongoSchema.indexes.count == Self.expectedIndexes.values.map { $0.count - 1 }.reduce(0, +))

            // Opening again (another daemon, a restart) finds them in place.
            let again = try await MongoMarketStore.open(uri: standIn.uri(database: "deltastore_test"), threadPool: mongoTestThreads, logger: quietLogger)
            for (collection, expected) in Self.expectedIndexes {
                let listed = try await again.firstBatch(["listIndexes": .string(collection)])
                #expect(listed.map(Self.essentials) == expected.map(Self.essentials), "\(collection) after a second open")
            }
            await again.close()
        }
    }

    /// A database indexed by an earlier deltastored, whose tick key was
    /// (product, tick_id), gets the new key (product, tick_id, timestamp) and
    /// loses the old index at start, keeping its ticks: then a restarted
    /// feed's ticks (tick_id reused, new timestamps) are stored, and the old
    /// ticks re-sent are duplicates.
    @Test func theRetiredTickKeyIndexIsReplacedAtStart() async throws {
        try await withBareStandIn { standIn in
            let uri = standIn.uri(database: "deltastore_test")
            let seeded = try await MongoMarketStore.open(uri: uri, threadPool: mongoTestThreads, logger: quietLogger)
            let old = try (0..<3).map { try Make.tick("NIFTY", at: marketOpen + Int64($0) * 1_000, price: 100, tickID: .int32(Int32($0))) }
            #expect(try await seeded.ticks.insert(old) == InsertOutcome(inserted: 3, duplicates: 0))
            // Make the collection look as the earlier deltastored left it.
            _ = try await seeded.runCommand(["dropIndexes": "underlying_ticks", "index": "product_1__deltastore_tick_key_1_timestamp_1"])
            _ = try await seeded.runCommand([
                "createIndexes": "underlying_ticks",
                "indexes": [[
                    "key": ["product": 1, "_deltastore_tick_key": 1], "name": "product_1__deltastore_tick_key_1", "unique": true,
                    "partialFilterExpression": ["_deltastore_tick_key": ["$exists": true]],
                ]],
            ])
            let restarted = try (0..<3).map { try Make.tick("NIFTY", at: marketOpen + 60_000 + Int64($0) * 1_000, price: 200, tickID: .int32(Int32($0))) }
            let refusedByTheOldKey = try await seeded.ticks.insert(restarted)
            #expect(refusedByTheOldKey.inserted == 0, "the old index still holds: \(refusedByTheOldKey)")
            await seeded.close()

            let store = try await MongoMarketStore.open(uri: uri, threadPool: mongoTestThreads, logger: quietLogger)
            let listed = try await store.firstBatch(["listIndexes": "underlying_ticks"])
            #expect(listed.map(Self.essentials) == Self.expectedIndexes["underlying_ticks"]?.map(Self.essentials))
            #expect(try await store.ticks.insert(restarted) == InsertOutcome(inserted: 3, duplicates: 0))
            #expect(try await store.ticks.insert(old) == InsertOutcome(inserted: 0, duplicates: 3))
            let stored = try await store.ticks.query(TickQuery(product: "NIFTY", limit: 10, order: .ascending)).records
            #expect(stored == old + restarted)
            await store.close()
        }
    }

    @Test func theDatabaseIsTheURIPathOrDeltastream() async throws {
        try await withBareStandIn { standIn in
            let named = try await MongoMarketStore.open(uri: standIn.uri(database: "analytics_eu"), threadPool: mongoTestThreads, logger: quietLogger)
            #expect(named.databaseName == "analytics_eu")
            await named.close()
            let unnamed = try await MongoMarketStore.open(uri: standIn.uri(database: ""), threadPool: mongoTestThreads, logger: quietLogger)
            #expect(unnamed.databaseName == "deltastream")
            _ = try await unnamed.ticks.insert([Make.tick("NIFTY", at: marketOpen)])
            let databases = try await unnamed.runCommand(["listDatabases": 1], on: "admin")
            let names = (databases["databases"]?.arrayValue ?? []).compactMap { $0.documentValue?["name"]?.stringValue }
            #expect(names.contains("deltastream"))
            await unnamed.close()
        }
    }

    @Test func recordsAreStoredAsSentWithIdFirstAndTheTickKeyLast() async throws {
        try await withStandIn { _, store in
            let keyed = try Make.tick("NIFTY", at: marketOpen, tickID: "t-1", extra: [("processed_at", .datetime(marketOpen + 3))])
            let numbered = try Make.tick("NIFTY", at: marketOpen + 1, tickID: .int64(7))
            let plain = try Make.tick("NIFTY", at: marketOpen + 2)
            #expect(try await store.ticks.insert([keyed, numbered, plain]) == InsertOutcome(inserted: 3, duplicates: 0))

            let stored = try await store.storedDocuments("underlying_ticks")
            #expect(stored.count == 3)
            for (document, tick) in zip(stored, [keyed, numbered, plain]) {
                #expect(document.keys.first == "_id")
                guard case .objectID = document["_id"] else { Issue.record("_id is not an ObjectId"); continue }
                let producerKeys = Array(document.keys.dropFirst().prefix(tick.document.keys.count))
                #expect(producerKeys == tick.document.keys, "the producer's fields in their order")
            }
            #expect(stored[0].keys.last == "_deltastore_tick_key")
            #expect(stored[0]["_deltastore_tick_key"] == "s:t-1")
            #expect(stored[1]["_deltastore_tick_key"] == "i:7")
            #expect(stored[2]["_deltastore_tick_key"] == nil, "a tick without tick_id has no key")
            #expect(stored[0].removing(["_id", "_deltastore_tick_key"]).bytes == keyed.document.bytes)

            // Quotes and chains: the document and _id, nothing else.
            let quote = try Make.quote("NIFTY-Q", at: marketOpen)
            let chain = try Make.chain("NIFTY", at: marketOpen)
            _ = try await store.quotes.insert([quote])
            _ = try await store.chains.insert([chain])
            #expect(try await store.storedDocuments("option_quotes").map { $0.removing(["_id"]).bytes } == [quote.document.bytes])
            #expect(try await store.storedDocuments("option_chains").map { $0.removing(["_id"]).bytes } == [chain.document.bytes])
        }
    }

    @Test func idAndBookkeepingFieldsNeverComeBack() async throws {
        try await withStandIn { _, store in
            let tick = try Make.tick("NIFTY", at: marketOpen, tickID: "t-1")
            _ = try await store.ticks.insert([tick])
            let chain = try Make.chain("NIFTY", at: marketOpen)
            _ = try await store.chains.insert([chain])
            let quote = try Make.quote("NIFTY-Q", at: marketOpen)
            _ = try await store.quotes.insert([quote])

            let reserved: Set<String> = ["_id", "_deltastore_tick_key"]
            func clean(_ document: BSONDocument?) -> Bool { document.map { Set($0.keys).isDisjoint(with: reserved) } ?? false }
            #expect(clean(try await store.ticks.query(TickQuery(product: "NIFTY", limit: 10)).records.first?.document))
            #expect(clean(try await store.ticks.latest(product: "NIFTY")?.document))
            #expect(clean(try await store.quotes.query(QuoteQuery(symbol: "NIFTY-Q", limit: 10)).records.first?.document))
            #expect(clean(try await store.chains.latest(product: "NIFTY", expiry: "2024-03-28")?.document))
            // Even when a projection names them.
            let projected = try await store.chains.query(ChainQuery(product: "NIFTY", limit: 10, fields: ["_id", "_deltastore_tick_key", "pcr_oi"]))
            #expect(projected.records.first?.document.keys == ["product", "expiry", "pcr_oi", "timestamp"])
        }
    }

    @Test func aTickThatUsesTheBookkeepingNameIsRefusedAndNothingIsWritten() async throws {
        try await withStandIn { _, store in
            let good = try Make.tick("NIFTY", at: marketOpen, tickID: "a")
            let bad = try Make.tick("NIFTY", at: marketOpen + 1, extra: [("_deltastore_tick_key", "s:forged")])
            await #expect(throws: FieldError.self) { try await store.ticks.insert([good, bad]) }
            #expect(try await store.storedDocuments("underlying_ticks").isEmpty)
        }
    }

    /// A database written by the original DeltaStream services: ObjectIds
    /// from the driver, no bookkeeping, and the odd document with a string
    /// timestamp (skipped: times are BSON datetimes).
    @Test func documentsWrittenByOtherProgramsAreRead() async throws {
        try await withStandIn { _, store in
            let legacy: [BSONValue] = [
                ["_id": .objectID(BSONObjectID()), "product": "LEGACY", "price": 101.5, "timestamp": .datetime(marketOpen), "tick_id": "x", "processed_at": .datetime(marketOpen)],
                ["_id": .objectID(BSONObjectID()), "product": "LEGACY", "price": 102, "timestamp": "2024-03-01T09:16:00Z"],
                ["_id": .objectID(BSONObjectID()), "product": "LEGACY", "price": .int32(103), "timestamp": .datetime(marketOpen + 60_000)],
            ]
            let reply = try await store.runCommand(["insert": "underlying_ticks", "documents": .array(legacy)])
            #expect(reply["n"]?.integerValue == 3)

            let page = try await store.ticks.query(TickQuery(product: "LEGACY", limit: 10, order: .ascending))
            #expect(page.records.map(\.timestamp) == [marketOpen, marketOpen + 60_000])
            #expect(page.records.first?.document == legacy[0].documentValue?.removing(["_id"]))
            #expect(try await store.catalog.products() == ["LEGACY"])
            let bars = try await store.ticks.bars(BarQuery(product: "LEGACY", window: .oneHour, limit: 5))
            #expect(bars == [Bar(start: marketOpen - 900_000, open: 101.5, high: 103, low: 101.5, close: 103, count: 2)])
            // A legacy tick_id has no key field: a producer re-sending it adds a new record.
            _ = try await store.ticks.insert([Make.tick("LEGACY", at: marketOpen + 120_000, tickID: "x")])
            #expect(try await store.ticks.query(TickQuery(product: "LEGACY", limit: 10)).records.count == 3)
        }
    }
}
