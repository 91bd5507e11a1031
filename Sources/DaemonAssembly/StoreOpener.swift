import Domain
import Logging
import MongoStore
import NIOCore
import NIOPosix
import SQLiteStore

/// Opens the store `--store` names.
enum StoreOpener {
    /// For SQLite, refuses a file missing where the state directory shows it
    /// existed (`KnownStores`) unless `allowNewStore` (`--new-store`). For
    /// MongoDB, waits (at most `mongoStartupTimeout`) until the deployment
    /// answers and the indexes exist, logging "waiting for MongoDB"
    /// meanwhile; the daemon declares itself ready only after that.
    static func open(
        _ location: StoreLocation,
        threadPool: NIOThreadPool,
        workerThreads: Int,
        logger: Logger,
        stateDirectory: String,
        allowNewStore: Bool = false,
        mongoWriteConcern: String = "majority",
        mongoStartupTimeout: TimeAmount = .seconds(30)
    ) async throws -> any MarketStore {
        switch location {
        case .sqlite(let path):
            let store = try await SQLiteMarketStore.open(
                path: path, threadPool: threadPool, logger: logger, readerCount: workerThreads,
                knownStores: KnownStores(stateDirectory: stateDirectory), allowNewStore: allowNewStore
            )
            logger.info("store open: sqlite \(path)", metadata: ["store": "\(location.redacted)"])
            return store
        case .mongodb(let uri):
            let store = try await MongoMarketStore.open(
                uri: uri, threadPool: threadPool, logger: logger,
                writeConcern: mongoWriteConcern, startupTimeout: mongoStartupTimeout
            )
            logger.info("store open: \(location.redacted) (database \(store.databaseName))", metadata: ["store": "\(location.redacted)", "database": "\(store.databaseName)"])
            return store
        }
    }
}
