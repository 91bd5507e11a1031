import CSQLite
import Domain
@testable import SQLiteStore
import Testing

/// The schema version lives in `PRAGMA user_version`; migrations run once.
@Suite("SQLite migrations")
struct MigrationTests {
    @Test func migrationsAreNumberedOneToCurrent() {
        #expect(Migrations.all.map(\.version) == Array(1...Migrations.all.count))
        #expect(Migrations.currentVersion == Migrations.all.count)
    }

    @Test func aFreshDatabaseGetsTheCurrentVersionAndSchema() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let path = directory.file("fresh.sqlite")
        let store = try await openStore(path)
        await store.close()

        let connection = try rawConnection(path)
        defer { connection.close() }
        #expect(try Migrations.userVersion(of: connection) == Migrations.currentVersion)
        let names = try connection.withStatement("SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name") { statement in
            var names: [String] = []
            while try statement.step() { names.append(statement.text(0) + " " + statement.text(1)) }
            return names
        }
        #expect(names == [
            "table auth_state", "table chains", "index chains_product_expiry_ts", "index chains_product_ts", "index chains_ts",
            "table expiries", "table products",
            "table quotes", "index quotes_product_expiry", "index quotes_product_ts", "index quotes_symbol_ts", "index quotes_ts",
            "table sessions", "index sessions_expires_at", "index sessions_family", "index sessions_revoked_at",
            "index sessions_token_hash", "index sessions_user",
            "table ticks", "index ticks_product_tick_key_ts", "index ticks_product_ts", "index ticks_ts",
            "table users", "index users_email",
        ])
    }

    @Test func reopeningIsIdempotentAndKeepsData() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let path = directory.file("again.sqlite")
        let first = try await openStore(path)
        _ = try await first.ticks.insert([try tick("NIFTY", at: marketOpen, tickID: "a")])
        await first.close()
        for _ in 0..<3 {
            let store = try await openStore(path)
            #expect(try await store.ticks.query(TickQuery(product: "NIFTY", limit: 10)).records.count == 1)
            await store.close()
        }
        let connection = try rawConnection(path)
        defer { connection.close() }
        #expect(try Migrations.userVersion(of: connection) == Migrations.currentVersion)
    }

    @Test func aDatabaseFromANewerVersionIsRefused() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let path = directory.file("newer.sqlite")
        await (try await openStore(path)).close()
        let newer = Migrations.currentVersion + 1
        do {
            let connection = try rawConnection(path)
            try connection.exec("PRAGMA user_version = \(newer)")
            connection.close()
        }

        await expectStoreError({ $0.isFailure && $0.message.contains("newer") && $0.message.contains("\(newer)") }) {
            _ = try await openStore(path)
        }
        // The file is left as it was.
        let connection = try rawConnection(path)
        defer { connection.close() }
        #expect(try Migrations.userVersion(of: connection) == newer)
    }

    @Test func aDatabaseAtVersionZeroWithoutTablesIsMigrated() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let path = directory.file("empty.sqlite")
        // An existing, empty SQLite file (e.g. created by the sqlite3 tool).
        do {
            let connection = try SQLiteConnection.open(path: path, flags: 0x02 | 0x04)
            try connection.exec("CREATE TABLE unrelated (x); DROP TABLE unrelated;")
            connection.close()
        }
        let store = try await openStore(path)
        _ = try await store.chains.insert([try chain("NIFTY", expiry: "2024-03-28", at: marketOpen)])
        #expect(try await store.catalog.expiries(product: "NIFTY") == ["2024-03-28"])
        await store.close()
    }

    /// A file of schema version 5, whose purges left products and expiries
    /// listed after taking their last records, lists only what it holds once
    /// migration 6 ran.
    @Test func migrationSixForgetsWhatEarlierPurgesLeftListed() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let path = directory.file("v5.sqlite")
        let store = try await openStore(path)
        _ = try await store.ticks.insert([try tick("OLD", at: marketOpen, price: 1), try tick("NIFTY", at: marketOpen, price: 2)])
        await store.close()
        do {
            // What a version-5 purge did: the rows went, the catalog stayed.
            let connection = try rawConnection(path)
            try connection.exec("DELETE FROM ticks WHERE product = 'OLD'")
            try connection.exec("INSERT INTO expiries (product, expiry) VALUES ('NIFTY', '2024-03-21')")
            try connection.exec("DROP INDEX quotes_product_expiry")
            try connection.exec("PRAGMA user_version = 5")
            connection.close()
        }
        let reopened = try await openStore(path)
        #expect(try await reopened.catalog.products() == ["NIFTY"])
        #expect(try await reopened.catalog.expiries(product: "NIFTY") == [])
        await reopened.close()
        let connection = try rawConnection(path)
        defer { connection.close() }
        #expect(try Migrations.userVersion(of: connection) == Migrations.currentVersion)
        #expect(try connection.scalarInt("SELECT count(*) FROM sqlite_schema WHERE name = 'quotes_product_expiry'") == 1)
    }

    /// A file of schema version 2 (tick key (product, tick_id)) is migrated to
    /// version 3 (product, tick_id, timestamp) keeping its ticks: afterwards a
    /// restarted feed's ticks (tick_id reused, new timestamps) are stored,
    /// while the old ticks re-sent are duplicates.
    @Test func aVersionTwoFileGetsTheTimestampInItsTickKey() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let path = directory.file("v2.sqlite")
        let old = try (0..<3).map { try tick("NIFTY", at: marketOpen + Int64($0) * 1_000, price: 100 + Double($0), tickID: .int32(Int32($0))) }
        do {
            let connection = try SQLiteConnection.open(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            for migration in Migrations.all.prefix(2) {
                try connection.exec(migration.sql)
                try connection.exec("PRAGMA user_version = \(migration.version)")
            }
            try connection.withStatement("INSERT INTO ticks (product, ts, price, tick_key, doc) VALUES (:product, :ts, :price, :tick_key, :doc)") { statement in
                for tick in old {
                    try statement.bind(":product", tick.product)
                    try statement.bind(":ts", tick.timestamp)
                    try statement.bind(":price", tick.price)
                    try statement.bind(":tick_key", tick.tickID?.storageKey)
                    try statement.bind(":doc", blob: tick.document.bytes)
                    try statement.run()
                    statement.reset()
                }
            }
            try connection.exec("INSERT INTO products (product) VALUES ('NIFTY')")
            // The old key refuses a reused tick_id whatever its timestamp.
            #expect(throws: SQLiteError.self) {
                try connection.exec("INSERT INTO ticks (product, ts, price, tick_key, doc) VALUES ('NIFTY', 1, 1.0, 'i:0', x'05000000 00')")
            }
            connection.close()
        }

        let store = try await openStore(path)
        let restarted = try (0..<3).map { try tick("NIFTY", at: marketOpen + 60_000 + Int64($0) * 1_000, price: 200, tickID: .int32(Int32($0))) }
        #expect(try await store.ticks.insert(restarted) == InsertOutcome(inserted: 3, duplicates: 0))
        #expect(try await store.ticks.insert(old) == InsertOutcome(inserted: 0, duplicates: 3))
        let stored = try await store.ticks.query(TickQuery(product: "NIFTY", limit: 10, order: .ascending)).records
        #expect(stored == old + restarted)
        await store.close()

        let connection = try rawConnection(path)
        defer { connection.close() }
        #expect(try Migrations.userVersion(of: connection) == Migrations.currentVersion)
        #expect(try connection.scalarInt("SELECT count(*) FROM sqlite_schema WHERE name = 'ticks_product_tick_key'") == 0)
        #expect(try connection.scalarInt("SELECT count(*) FROM sqlite_schema WHERE name = 'ticks_product_tick_key_ts'") == 1)
    }
}
