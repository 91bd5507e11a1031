#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CSQLite
import Domain

/// Retention and `stats` on SQLite: batched deletes by time, incremental
/// vacuum, counts and time ranges, the file's size.
///
/// Each purge batch is one write transaction of at most `limit` rows found
/// through the collection's `ts` index (`ticks_ts`, and `quotes_ts`/`chains_ts`
/// of migration 4), so the write lock is held for a few milliseconds and
/// inserts interleave between batches; the same transaction takes from the
/// catalog the products and expiries no record is left of.
extension SQLiteMarketStore: LifecycleStore {
    static func table(_ collection: RecordCollection) -> String {
        switch collection {
        case .ticks: return "ticks"
        case .quotes: return "quotes"
        case .chains: return "chains"
        }
    }

    static func purgeSQL(_ collection: RecordCollection) -> String {
        let table = table(collection)
        // The deleted rows' products (and expiries): the catalog rows to check.
        let returning = collection == .ticks ? "product" : "product, expiry"
        return "DELETE FROM \(table) WHERE id IN (SELECT id FROM \(table) WHERE ts < :cutoff ORDER BY ts LIMIT :limit) RETURNING \(returning)"
    }

    public func purge(_ collection: RecordCollection, before cutoff: Int64, limit: Int) async throws -> Int {
        guard limit > 0 else { return 0 }
        let sql = Self.purgeSQL(collection)
        return try await executor.write { connection in
            try connection.withoutAutoCheckpoint {
                try connection.writeTransaction {
                    var deleted = 0
                    var products = Set<String>()
                    var expiries = Set<[String]>()
                    try connection.withStatement(sql) { statement in
                        try statement.bind(":cutoff", cutoff)
                        try statement.bind(":limit", limit)
                        while try statement.step() {
                            deleted += 1
                            products.insert(statement.text(0))
                            if collection != .ticks { expiries.insert([statement.text(0), statement.text(1)]) }
                        }
                    }
                    if deleted > 0 { try SQLiteCatalogRepository.forgetUnheld(products: products, expiries: expiries, on: connection) }
                    return deleted
                }
            }
        }
    }

    /// `PRAGMA wal_checkpoint(PASSIVE)` on a connection of its own, without
    /// the write lock: the pages a purge wrote into the WAL are copied into
    /// the database file (and flushed) while inserts go on, instead of by
    /// SQLite's automatic checkpoint inside some insert's commit.
    public func checkpoint() async throws {
        let path = self.path
        let box = checkpointConnection
        try await executor.run {
            try box.withLockedValue { connection in
                let open: SQLiteConnection
                if let existing = connection {
                    open = existing
                } else {
                    open = try SQLiteConnection.open(path: path, flags: SQLITE_OPEN_READWRITE)
                    try open.exec("PRAGMA busy_timeout = 0")
                    connection = open
                }
                _ = try open.scalarInt("PRAGMA wal_checkpoint(PASSIVE)")
            }
        }
    }

    /// `PRAGMA incremental_vacuum(pages)` when the store was made with
    /// incremental auto-vacuum (every store this version creates); a store
    /// without it reuses its free pages for new records but keeps its size.
    public func reclaimSpace(pages: Int) async throws -> Bool {
        guard pages > 0 else { return false }
        return try await executor.write { connection in
            guard try connection.scalarInt("PRAGMA auto_vacuum") == 2 else { return false }
            guard try (connection.scalarInt("PRAGMA freelist_count") ?? 0) > 0 else { return false }
            try connection.withoutAutoCheckpoint { try connection.exec("PRAGMA incremental_vacuum(\(pages))") }
            return try (connection.scalarInt("PRAGMA freelist_count") ?? 0) > 0
        }
    }

    public func holdings() async throws -> StoreHoldings {
        let path = self.path
        let collections = try await executor.read { connection in
            var collections: [RecordCollection: CollectionHoldings] = [:]
            for collection in RecordCollection.allCases {
                collections[collection] = try Self.holdings(of: Self.table(collection), on: connection)
            }
            return collections
        }
        let bytes = try await executor.run { Self.fileBytes(path) }
        return StoreHoldings(collections: collections, bytes: bytes)
    }

    /// Count, then the oldest and newest `ts` (each read from the `ts` index:
    /// SQLite answers a lone `min()`/`max()` from an index's end).
    static func holdings(of table: String, on connection: SQLiteConnection) throws -> CollectionHoldings {
        let count = try connection.scalarInt("SELECT count(*) FROM \(table)") ?? 0
        let oldest = try nullableInt("SELECT min(ts) FROM \(table)", on: connection)
        let newest = try nullableInt("SELECT max(ts) FROM \(table)", on: connection)
        return CollectionHoldings(count: count, oldest: oldest, newest: newest)
    }

    static func nullableInt(_ sql: String, on connection: SQLiteConnection) throws -> Int64? {
        try connection.withStatement(sql) { statement in
            guard try statement.step(), !statement.isNull(0) else { return nil }
            return statement.int64(0)
        }
    }

    /// The database file plus its WAL (a missing WAL counts 0).
    static func fileBytes(_ path: String) -> Int64 {
        size(of: path) + size(of: path + "-wal")
    }

    static func size(of path: String) -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return Int64(info.st_size)
    }
}

