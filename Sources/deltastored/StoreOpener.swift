import Domain
import Logging
import NIOPosix
import SQLiteStore

/// Opens the store `--store` names.
enum StoreOpener {
    struct Unsupported: Error, CustomStringConvertible {
        var description: String
    }

    static func open(_ location: StoreLocation, threadPool: NIOThreadPool, workerThreads: Int, logger: Logger) async throws -> any MarketStore {
        switch location {
        case .sqlite(let path):
            let store = try await SQLiteMarketStore.open(path: path, threadPool: threadPool, logger: logger, readerCount: workerThreads)
            logger.info("store open", metadata: ["store": "\(location.redacted)"])
            return store
        case .mongodb:
            throw Unsupported(description: "the MongoDB store is not available in this build yet")
        }
    }
}
