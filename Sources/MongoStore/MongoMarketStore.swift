import BSONCore
import CMongoC
import Domain
import Logging
import NIOCore
import NIOPosix

/// The MongoDB store: every repository, users and sessions included
/// (`AuthStore`), over libmongoc with one `mongoc_client_pool_t`.
///
/// It exists for deployments that outgrow one host: several daemons can
/// point at one replica set or sharded cluster. Records keep the producer's
/// document as it was sent (see `MongoSchema` for the stored shape), queries
/// are keyset-paginated on `(timestamp, _id)`, inserts are unordered with the
/// unique indexes making re-sent items duplicates, and every libmongoc call
/// runs on the given `NIOThreadPool` (`MongoExecutor`). The URI carries
/// everything about the deployment — hosts, replica set, TLS, credentials,
/// timeouts and `maxPoolSize` (libmongoc's default pool size is 100).
public final class MongoMarketStore: MarketStore {
    public let kind = "mongodb"
    /// The database the store uses (the URI's path, default `deltastream`).
    public let databaseName: String
    public let writeConcern: MongoWriteConcern
    public let ticks: any TickRepository
    public let quotes: any QuoteRepository
    public let chains: any ChainRepository
    public let catalog: any CatalogRepository
    /// Users in `users` and sessions in `sessions` (see `AuthStore`).
    public let users: any UserRepository
    public let sessions: any SessionRepository

    /// Internal (not private) for the lifecycle calls in `MongoMarketStore+Lifecycle.swift`.
    let executor: MongoExecutor
    private let logger: Logger
    private let redactedURI: String

    private init(executor: MongoExecutor, logger: Logger, redactedURI: String) {
        self.executor = executor
        self.logger = logger
        self.redactedURI = redactedURI
        self.databaseName = executor.databaseName
        self.writeConcern = executor.writeConcern
        let ids = ObjectIDGenerator.shared
        ticks = MongoTickRepository(executor: executor, ids: ids)
        quotes = MongoQuoteRepository(executor: executor, ids: ids)
        chains = MongoChainRepository(executor: executor, ids: ids)
        catalog = MongoCatalogRepository(executor: executor)
        users = MongoUserRepository(executor: executor)
        sessions = MongoSessionRepository(executor: executor)
    }

    /// Opens the store at `uri` and waits, for at most `startupTimeout`, until
    /// MongoDB answers a ping and every index exists (`MongoSchema.indexes`,
    /// created idempotently). While it waits it logs "waiting for MongoDB"
    /// with the URI's hosts (never its credentials).
    ///
    /// Unless the URI sets them, `serverSelectionTimeoutMS` and
    /// `connectTimeoutMS` are 3 s and `socketTimeoutMS` 30 s. The write
    /// concern (`majority`, a number, or a tag) applies to every insert and
    /// index build; `wtimeoutMS` from the URI bounds it (default 10 s).
    ///
    /// Throws `StoreError.failure` for a URI or write concern that cannot
    /// work (not worth waiting for) or an index that cannot be built (e.g.
    /// existing records break a unique key), and `StoreError.unavailable`
    /// when MongoDB did not answer in time.
    public static func open(
        uri: String,
        threadPool: NIOThreadPool,
        logger: Logger,
        writeConcern: String = "majority",
        startupTimeout: TimeAmount = .seconds(30)
    ) async throws -> MongoMarketStore {
        let redacted = StoreLocation.mongodb(uri: uri).redacted
        let pool: MongoClientPool
        do {
            pool = try await threadPool.runIfActive {
                MongoCLibrary.initialize()
                return try MongoClientPool(uri: uri)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.unavailable(MongoExecutor.inactivePool)
        }
        let concern: MongoWriteConcern
        let fromURI = pool.uriWriteConcern
        do {
            let timeout = fromURI.timeoutMS > 0 ? Int32(clamping: fromURI.timeoutMS) : MongoWriteConcern.defaultTimeoutMS
            concern = try MongoWriteConcern(parsing: writeConcern, timeoutMS: timeout)
        } catch {
            await Self.close(pool, threadPool: threadPool)
            throw StoreError.failure(String(describing: error))
        }
        if fromURI.setsW {
            logger.warning("the URI's w option is not used: the store's write concern is \(concern)", metadata: ["store": "\(redacted)"])
        }
        let store = MongoMarketStore(
            executor: MongoExecutor(threadPool: threadPool, pool: pool, logger: logger, writeConcern: concern),
            logger: logger,
            redactedURI: redacted
        )
        do {
            try await store.waitUntilReady(timeout: startupTimeout)
        } catch {
            await store.close()
            throw error
        }
        logger.info(
            "opened MongoDB store \(redacted): database \(store.databaseName), write concern \(concern), libmongoc \(MongoCLibrary.version)",
            metadata: [
                "store": "\(redacted)", "database": "\(store.databaseName)", "write_concern": "\(concern)",
                "libmongoc": "\(MongoCLibrary.version)",
            ]
        )
        return store
    }

    /// Pings until MongoDB answers, then ensures the indexes; an outage
    /// during either is waited out until `timeout`.
    private func waitUntilReady(timeout: TimeAmount) async throws {
        let deadline = NIODeadline.now() + timeout
        var lastReport: NIODeadline?
        while true {
            do {
                try await ping()
                try await ensureIndexes()
                return
            } catch let error as StoreError {
                guard case .unavailable(let reason) = error else { throw error }
                let now = NIODeadline.now()
                guard now < deadline else {
                    throw StoreError.unavailable("MongoDB did not answer within \(timeout.nanoseconds / 1_000_000_000) s at start (\(reason))")
                }
                if lastReport.map({ now - $0 >= .seconds(5) }) ?? true {
                    logger.notice("waiting for MongoDB at \(redactedURI): \(reason)", metadata: ["store": "\(redactedURI)", "reason": "\(reason)"])
                    lastReport = now
                }
                try await Task.sleep(nanoseconds: UInt64(min(500_000_000, max(0, (deadline - now).nanoseconds))))
            }
        }
    }

    /// `createIndexes`, one index per command: an index that already exists
    /// with the same definition is a no-op. Then the retired indexes
    /// (`MongoSchema.retiredIndexes`) are dropped where they exist. An existing index with the same
    /// keys under another name, or other options (e.g. left by an older
    /// deployment), is a warning for a plain index and a failure for a unique
    /// one (the idempotency keys must hold).
    func ensureIndexes() async throws {
        let concern = executor.writeConcern
        let logger = self.logger
        try await executor.run("createIndexes") { client in
            for index in MongoSchema.indexes {
                do {
                    _ = try client.command(MongoSchema.createIndexesCommand(index, writeConcern: concern))
                } catch let error as MongoError where !error.isUnavailable {
                    let conflict = error.code == 85 || error.code == 86
                    if conflict && !index.unique {
                        logger.warning(
                            "an index on the same keys exists with other options; keeping it",
                            metadata: ["collection": "\(index.collection)", "index": "\(index.name)", "error": "\(error.message)"]
                        )
                        continue
                    }
                    throw StoreError.failure("cannot create index \(index.name) on \(index.collection): \(error.message)")
                }
            }
            for retired in MongoSchema.retiredIndexes {
                do {
                    _ = try client.command(MongoSchema.dropIndexCommand(collection: retired.collection, name: retired.name, writeConcern: concern))
                    logger.notice("dropped a retired index", metadata: ["collection": "\(retired.collection)", "index": "\(retired.name)"])
                } catch let error as MongoError where !error.isUnavailable && (error.code == 26 || error.code == 27) {
                    // NamespaceNotFound, IndexNotFound: nothing to drop.
                    continue
                } catch let error as MongoError where !error.isUnavailable {
                    throw StoreError.failure("cannot drop the retired index \(retired.name) on \(retired.collection): \(error.message)")
                }
            }
        }
    }

    /// `{ping: 1}` on the store's database.
    public func ping() async throws {
        _ = try await executor.run("ping") { client in
            try client.command(["ping": 1])
        }
    }

    /// `ok` when MongoDB answers a ping, else `degraded` (it may answer again).
    public func health() async -> StoreHealth {
        await pingHealth()
    }

    /// Waits for the calls in flight, then destroys the client pool. Later
    /// calls throw `StoreError.unavailable`.
    public func close() async {
        await Self.close(executor.pool, threadPool: executor.threadPool)
        logger.info("closed MongoDB store \(redactedURI)", metadata: ["store": "\(redactedURI)"])
    }

    private static func close(_ pool: MongoClientPool, threadPool: NIOThreadPool) async {
        do {
            try await threadPool.runIfActive { pool.close() }
        } catch {
            // The thread pool is stopped (daemon shutdown) or this task was
            // cancelled: the pool must still be released.
            pool.close()
        }
    }

    /// Runs any command on the store's database (tests: listIndexes, raw
    /// inserts, reading stored documents as they are).
    @_spi(Testing)
    public func runCommand(_ command: BSONDocument, on database: String? = nil) async throws -> BSONDocument {
        try await executor.run("command") { client in try client.command(command, on: database) }
    }

    /// Drops the store's database (tests: throwaway databases).
    @_spi(Testing)
    public func dropDatabase() async throws {
        _ = try await runCommand(["dropDatabase": 1])
    }
}
