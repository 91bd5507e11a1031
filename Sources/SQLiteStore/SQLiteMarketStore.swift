import CSQLite
import Domain
import Logging
import NIOConcurrencyHelpers
import NIOPosix

/// The embedded default store: every repository over one SQLite file in WAL
/// mode.
///
/// It exists so the daemon runs on one host with no database server: records
/// are kept as the exact BSON documents producers sent plus indexed columns,
/// the schema is versioned (`Migrations`), one writer connection and a few
/// reader connections are pooled (`ConnectionPool`), and every SQLite call runs
/// on the given `NIOThreadPool` (`StoreExecutor`), never on the caller's thread.
public final class SQLiteMarketStore: MarketStore {
    public let kind = "sqlite"
    /// The database file.
    public let path: String
    public let ticks: any TickRepository
    public let quotes: any QuoteRepository
    public let chains: any ChainRepository
    public let catalog: any CatalogRepository

    /// Internal (not private) so that the auth repositories, in their own
    /// files, share it: see `SQLiteMarketStore+Auth.swift`.
    let executor: StoreExecutor
    private let logger: Logger
    /// One thread of its own for `backup`, so a long copy never takes a
    /// thread the requests need (see `SQLiteMarketStore+Backup.swift`).
    let backupThreads: NIOThreadPool
    /// Whether a backup is running (one at a time).
    let backupRunning = NIOLockedValueBox(false)
    /// The retention's checkpoint connection, opened at its first use.
    let checkpointConnection = NIOLockedValueBox<SQLiteConnection?>(nil)

    static let pingSQL = "SELECT 1"
    /// `PRAGMA journal_size_limit`: 64 MiB.
    static let walSizeLimit = 64 << 20

    private init(path: String, executor: StoreExecutor, logger: Logger) {
        self.path = path
        self.executor = executor
        self.logger = logger
        backupThreads = NIOThreadPool(numberOfThreads: 1)
        backupThreads.start()
        ticks = SQLiteTickRepository(executor: executor)
        quotes = SQLiteQuoteRepository(executor: executor)
        chains = SQLiteChainRepository(executor: executor)
        catalog = SQLiteCatalogRepository(executor: executor)
    }

    /// Opens (creating if missing) the database at `path`, checks it
    /// (`PRAGMA quick_check`), applies pending migrations and opens one writer
    /// and `readerCount` reader connections.
    ///
    /// Missing parent directories are created with mode 0750 and a missing
    /// file with mode 0600 — unless `knownStores` remembers `path` (the state
    /// directory had this store) and `allowNewStore` is false: then a missing
    /// file is refused rather than silently replaced by an empty store. Once
    /// open, `path` is remembered in `knownStores`.
    ///
    /// Throws `StoreError.failure` with a readable reason naming the file when
    /// the path cannot be used, the file is missing where it existed, is
    /// corrupt or not a database, or was written by a newer deltastored; and
    /// `StoreError.unavailable` when `threadPool` is not running.
    public static func open(
        path: String, threadPool: NIOThreadPool, logger: Logger, readerCount: Int = 2,
        knownStores: KnownStores? = nil, allowNewStore: Bool = false
    ) async throws -> SQLiteMarketStore {
        guard readerCount >= 1 else {
            throw StoreError.failure("the SQLite store needs at least one reader connection, got \(readerCount)")
        }
        let opened: (pool: ConnectionPool, watch: StoreFileWatch)
        do {
            opened = try await threadPool.runIfActive {
                if let knownStores, !allowNewStore, knownStores.contains(path), !DatabaseFile.exists(path) {
                    throw StoreError.failure(
                        "the SQLite store \(path) is missing, but \(knownStores.file) shows that it existed: refusing to start on a new, empty store. "
                            + "Restore the file (with its -wal file, if any), or start with --new-store to create an empty one"
                    )
                }
                let pool = try openPool(path: path, readerCount: readerCount, logger: logger)
                do {
                    return (pool, try StoreFileWatch(path: path, logger: logger))
                } catch {
                    pool.close()
                    throw error
                }
            }
        } catch let error as SQLiteError where error.isCorruption {
            throw StoreError.failure("the SQLite database \(path) is corrupt or not a SQLite database (\(error)); the daemon does not start on it: restore the file from a backup, or move it away")
        } catch let error as SQLiteError {
            throw StoreError.failure("cannot open the SQLite database \(path): \(error)")
        } catch {
            throw StoreExecutor.map(error)
        }
        if let knownStores {
            do {
                try knownStores.remember(path)
            } catch {
                logger.warning("cannot remember the SQLite store in the state directory: a missing file will not be noticed at the next start", metadata: ["error": "\(error)"])
            }
        }
        logger.info(
            "opened SQLite database \(path): SQLite \(SQLiteLibrary.version), schema version \(Migrations.currentVersion), WAL, \(readerCount) reader connection\(readerCount == 1 ? "" : "s")",
            metadata: ["path": "\(path)", "sqlite": "\(SQLiteLibrary.version)", "schema": "\(Migrations.currentVersion)", "readers": "\(readerCount)"]
        )
        let executor = StoreExecutor(threadPool: threadPool, pool: opened.pool, watch: opened.watch)
        return SQLiteMarketStore(path: path, executor: executor, logger: logger)
    }

    /// Runs on a thread-pool thread: prepares the file, opens and configures
    /// the connections, migrates. Closes whatever it opened if a step fails.
    private static func openPool(path: String, readerCount: Int, logger: Logger) throws -> ConnectionPool {
        guard SQLiteLibrary.isThreadSafe else {
            throw StoreError.failure("the linked SQLite \(SQLiteLibrary.version) was built without thread support")
        }
        try DatabaseFile.prepare(path)
        var opened: [SQLiteConnection] = []
        do {
            let writer = try SQLiteConnection.open(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            opened.append(writer)
            try configure(writer: writer)
            try checkIntegrity(writer)
            try Migrations.apply(to: writer, logger: logger)
            var readers: [SQLiteConnection] = []
            for _ in 0..<readerCount {
                let reader = try SQLiteConnection.open(path: path, flags: SQLITE_OPEN_READWRITE)
                opened.append(reader)
                try configure(reader: reader)
                readers.append(reader)
            }
            return ConnectionPool(writer: writer, readers: readers)
        } catch {
            for connection in opened { connection.close() }
            throw error
        }
    }

    /// WAL: readers never block the writer nor each other. `synchronous=NORMAL`
    /// in WAL mode loses no committed transaction when the process crashes
    /// (only, at worst, the last ones on a power loss); the auth tables will
    /// use FULL (`SQLiteConnection.durableWriteTransaction`). `busy_timeout` covers other processes (backups, the CLI).
    private static func configure(writer: SQLiteConnection) throws {
        try writer.exec("PRAGMA busy_timeout = 5000")
        // A new, empty file gets incremental auto-vacuum (only possible before
        // its first table): the space of purged records can then be returned
        // to the file system a few pages at a time (`reclaimSpace`). An older
        // store keeps its mode; README "Retention" says how to convert it.
        if try writer.scalarInt("PRAGMA page_count") == 0 {
            try writer.exec("PRAGMA auto_vacuum = INCREMENTAL")
        }
        let mode = try writer.scalarText("PRAGMA journal_mode = WAL")
        guard mode?.lowercased() == "wal" else {
            throw StoreError.failure("cannot switch \(writer.path) to WAL mode (journal_mode is \(mode ?? "unknown"))")
        }
        try writer.exec("PRAGMA synchronous = NORMAL")
        // After a checkpoint the WAL is cut back to this size, so a burst of
        // writes (a large purge) does not leave a large WAL file behind.
        try writer.exec("PRAGMA journal_size_limit = \(walSizeLimit)")
        try writer.exec("PRAGMA foreign_keys = ON")
    }

    /// `PRAGMA quick_check`: a file whose pages or indexes are damaged is
    /// refused before anything reads or writes it. It reads the whole file
    /// (O(N), seconds for gigabytes), once per start.
    private static func checkIntegrity(_ writer: SQLiteConnection) throws {
        let problems = try writer.withStatement("PRAGMA quick_check(5)") { statement in
            var rows: [String] = []
            while try statement.step() { rows.append(statement.text(0)) }
            return rows
        }
        guard problems == ["ok"] else {
            throw StoreError.failure(
                "the SQLite database \(writer.path) is corrupt (PRAGMA quick_check: \(problems.joined(separator: "; "))); the daemon does not start on it: restore the file from a backup, or move it away"
            )
        }
    }

    /// Readers are `query_only`: a bug cannot make them write.
    private static func configure(reader: SQLiteConnection) throws {
        try reader.exec("PRAGMA busy_timeout = 5000")
        try reader.exec("PRAGMA foreign_keys = ON")
        try reader.exec("PRAGMA query_only = ON")
    }

    /// `SELECT 1` on a reader connection.
    public func ping() async throws {
        _ = try await executor.read { connection in
            try connection.scalarInt(Self.pingSQL)
        }
    }

    /// `failed` when the file was removed, replaced or found corrupt (checked
    /// now, on the thread pool), else `ok` when a reader answers `SELECT 1`,
    /// else `degraded`.
    public func health() async -> StoreHealth {
        let watch = executor.watch
        do {
            if let failure = try await executor.run({ watch.check() }) { return .failed(failure) }
            try await ping()
            return .ok
        } catch {
            if let failure = watch.currentFailure { return .failed(failure) }
            return .degraded(error as? StoreError ?? .failure(String(describing: error)))
        }
    }

    /// Closes every connection, after the queries and the write in flight
    /// finish. Later calls throw `StoreError.unavailable`.
    public func close() async {
        let pool = executor.pool
        do {
            try await executor.threadPool.runIfActive { pool.close() }
        } catch {
            // The thread pool is already stopped (daemon shutdown), so no query
            // is running on it any more, or this task was cancelled before the
            // work started. Either way the connections must still be released:
            // close here (waiting, in the second case, for queries in flight).
            pool.close()
        }
        try? await backupThreads.shutdownGracefully()
        checkpointConnection.withLockedValue { connection in
            connection?.close()
            connection = nil
        }
        logger.info("closed SQLite database \(path)", metadata: ["path": "\(path)"])
    }
}
