import BSONCore
import Domain
import Logging
import NIOConcurrencyHelpers
import NIOPosix

/// Runs MongoDB work on the store's `NIOThreadPool` with a pooled client, and
/// turns failures into `StoreError`.
///
/// It exists so that no libmongoc call ever runs on an event loop or on the
/// Swift concurrency pool (both must not block), and so that the error
/// mapping and its logging live in one place: every repository goes through
/// `run`. It also remembers whether the last call found MongoDB reachable, so
/// that an outage is logged once when it starts and once when it ends rather
/// than once per request.
struct MongoExecutor: Sendable {
    let threadPool: NIOThreadPool
    let pool: MongoClientPool
    let logger: Logger
    let writeConcern: MongoWriteConcern
    private let reachable = NIOLockedValueBox(true)

    init(threadPool: NIOThreadPool, pool: MongoClientPool, logger: Logger, writeConcern: MongoWriteConcern) {
        self.threadPool = threadPool
        self.pool = pool
        self.logger = logger
        self.writeConcern = writeConcern
    }

    var databaseName: String { pool.databaseName }

    /// Runs `body` with a client on a thread-pool thread.
    func run<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (MongoClient) throws -> T) async throws -> T {
        let pool = self.pool
        do {
            let result = try await threadPool.runIfActive {
                try pool.withClient { client in try body(MongoClient(client: client, database: pool.databaseName)) }
            }
            noteReachable()
            return result
        } catch {
            throw map(error, operation: operation)
        }
    }

    /// MongoDB errors become `StoreError` (logged); an inactive thread pool
    /// means the daemon is stopping. `StoreError`, `FieldError` and
    /// cancellation of the calling task pass through.
    func map(_ error: any Error, operation: String) -> any Error {
        switch error {
        case let mongo as MongoError:
            let mapped = mongo.storeError
            if case .unavailable = mapped {
                noteUnavailable(mongo, operation: operation)
            } else {
                logger.error("MongoDB operation failed", metadata: ["operation": "\(operation)", "error": "\(mongo)"])
            }
            return mapped
        case let failure as MongoStoreFailure:
            logger.error("MongoDB store failure", metadata: ["operation": "\(operation)", "error": "\(failure)"])
            return StoreError.failure(failure.description)
        case is NIOThreadPoolError.ThreadPoolInactive:
            return StoreError.unavailable(Self.inactivePool)
        case is CancellationError where !Task.isCancelled:
            // The async runIfActive reports an inactive pool as CancellationError.
            return StoreError.unavailable(Self.inactivePool)
        default:
            return error
        }
    }

    private func noteUnavailable(_ error: MongoError, operation: String) {
        let wasReachable = reachable.withLockedValue { value in
            defer { value = false }
            return value
        }
        let metadata: Logger.Metadata = ["operation": "\(operation)", "error": "\(error)"]
        if wasReachable {
            logger.warning("MongoDB is unavailable; requests get UNAVAILABLE until it answers again", metadata: metadata)
        } else {
            logger.debug("MongoDB still unavailable", metadata: metadata)
        }
    }

    private func noteReachable() {
        let wasReachable = reachable.withLockedValue { value in
            defer { value = true }
            return value
        }
        if !wasReachable {
            logger.notice("MongoDB answers again")
        }
    }

    static let inactivePool = "the store's thread pool is not running"
}
