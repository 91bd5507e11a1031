import Domain
import NIOPosix

/// Runs SQLite work on the store's `NIOThreadPool` and turns failures into
/// `StoreError`.
///
/// It exists so that no SQLite call ever runs on the caller's thread (an event
/// loop or the Swift concurrency pool, which must not block), so that the
/// error mapping lives in one place — every repository goes through `read` or
/// `write` — and so that the file watch (`StoreFileWatch`) sees every call:
/// a write is refused once the file was removed, replaced or found corrupt,
/// and a corruption reported by any call marks the store failed.
struct StoreExecutor: Sendable {
    let threadPool: NIOThreadPool
    let pool: ConnectionPool
    let watch: StoreFileWatch

    /// Runs `body` with a reader connection on a thread-pool thread.
    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let pool = self.pool
        return try await run { try pool.withReader(body) }
    }

    /// Runs `body` with the writer connection on a thread-pool thread, once
    /// the file is checked to be the one the store opened.
    func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let pool = self.pool
        let watch = self.watch
        return try await run {
            if let failure = watch.check() { throw StoreFileWatch.refusal(failure) }
            return try pool.withWriter(body)
        }
    }

    /// Runs `body` on a thread-pool thread with the error mapping applied.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await threadPool.runIfActive(body)
        } catch {
            throw map(error)
        }
    }

    /// `Self.map`, after telling the watch of a corruption: a call that finds
    /// the file corrupt answers like every call of a failed store.
    func map(_ error: any Error) -> any Error {
        if let sqlite = error as? SQLiteError, sqlite.isCorruption {
            watch.note(sqlite)
            if let failure = watch.currentFailure { return StoreFileWatch.refusal(failure) }
        }
        return Self.map(error)
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
