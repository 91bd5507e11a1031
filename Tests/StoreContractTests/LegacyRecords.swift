import BSONCore
import Domain
@_spi(Testing) import MongoStore
@testable import SQLiteStore

/// Writes records the way only an older deltastored could have — without
/// today's validation (e.g. a tick at -2^63 ms) — straight into a store's
/// file or collection, so the tests can check that no operation crashes on
/// what a store may already hold.
enum LegacyRecords {
    static func insertTick(_ document: BSONDocument, into store: any MarketStore) async throws {
        guard case .string(let product) = document["product"], case .datetime(let timestamp) = document["timestamp"],
              let price = document["price"]?.numericValue
        else { throw StoreError.failure("a legacy tick needs product, timestamp and price") }
        switch store {
        case let sqlite as SQLiteMarketStore:
            // SQLITE_OPEN_READWRITE: a second connection, as another process would write.
            let connection = try SQLiteConnection.open(path: sqlite.path, flags: 0x02)
            defer { connection.close() }
            try connection.exec("PRAGMA busy_timeout = 5000")
            try connection.withStatement("INSERT INTO ticks (product, ts, price, tick_key, doc) VALUES (:product, :ts, :price, NULL, :doc)") { statement in
                try statement.bind(":product", product)
                try statement.bind(":ts", timestamp)
                try statement.bind(":price", price)
                try statement.bind(":doc", blob: document.bytes)
                try statement.run()
            }
            try connection.withStatement("INSERT INTO products (product) VALUES (:product) ON CONFLICT DO NOTHING") { statement in
                try statement.bind(":product", product)
                try statement.run()
            }
        case let mongo as MongoMarketStore:
            let stored = BSONDocument([("_id", BSONValue.objectID(BSONObjectID()))] + document.elements.map { ($0.key, $0.value) })
            let reply = try await mongo.runCommand(["insert": "underlying_ticks", "documents": [.document(stored)]])
            guard reply["n"]?.integerValue == 1 else { throw StoreError.failure("legacy insert: \(reply)") }
        default:
            throw StoreError.failure("no legacy writer for \(store.kind)")
        }
    }
}
