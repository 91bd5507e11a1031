import Domain
import NIOPosix

/// Runs SQLite work on the store's `NIOThreadPool` and turns failures into
/// `StoreError`.
///
/// It exists so that no SQLite call ever runs on the caller's thread (an event
/// loop or the Swift concurrency pool, which must not block) and so that the
/// error mapping lives in one place: every repository goes through `read` or
/// `write`.
struct StoreExecutor: Sendable {
    let threadPool: NIOThreadPool
    let pool: ConnectionPool

    /// Runs `body` with a reader connection on a thread-pool thread.
    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let pool = self.pool
        return try await run { try pool.withReader(body) }
    }

    /// Runs `body` with the writer connection on a thread-pool thread.
    func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let pool = self.pool
        return try await run { try pool.withWriter(body) }
    }

    /// Runs `body` on a thread-pool thread with the error mapping applied.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await threadPool.runIfActive(body)
        } catch {
            throw Self.map(error)
        }
    }

    /// SQLite errors become `StoreError` (transient ones `unavailable`); an
    /// inactive thread pool means the daemon is stopping. Domain errors
    /// (`StoreError`, `FieldError`) and cancellation of the calling task pass
    /// through unchanged.
    ///
    /// The async `runIfActive` reports an inactive pool as a
    /// `CancellationError`, like a cancelled task: a `CancellationError` while
    /// the task is not cancelled therefore means the pool is not running.
    static func map(_ error: any Error) -> any Error {
        switch error {
        case let sqlite as SQLiteError:
            return sqlite.storeError
        case is NIOThreadPoolError.ThreadPoolInactive:
            return StoreError.unavailable(inactivePool)
        case is CancellationError where !Task.isCancelled:
            return StoreError.unavailable(inactivePool)
        default:
            return error
        }
    }

    static let inactivePool = "the store's thread pool is not running"
}
