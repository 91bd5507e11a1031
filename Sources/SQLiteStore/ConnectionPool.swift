import Dispatch
import Domain
import NIOConcurrencyHelpers

/// The store's connections: one writer and a fixed set of readers.
///
/// SQLite allows one writer at a time, so all writes go through the single
/// writer connection behind a lock (waiting on our lock is cheaper and fairer
/// than waiting in SQLite's busy handler). In WAL mode readers never block the
/// writer nor each other, so `readerCount` reader connections serve queries in
/// parallel; a caller that finds none free waits on a semaphore.
///
/// Blocking here is intended: only `NIOThreadPool` threads call into the pool
/// (see `StoreExecutor`), never event loops or the cooperative executor.
///
/// `@unchecked Sendable` is safe because all mutable state (`writerClosed`,
/// `idleReaders`, `readersClosed`) is only touched under `writerLock` or
/// `readerLock`, and each connection is lent to one thread at a time.
final class ConnectionPool: @unchecked Sendable {
    private let writer: SQLiteConnection
    private let writerLock = NIOLock()
    private var writerClosed = false

    private let readerCount: Int
    private let readerSlots: DispatchSemaphore
    private let readerLock = NIOLock()
    private var idleReaders: [SQLiteConnection]
    private var readersClosed = false

    init(writer: SQLiteConnection, readers: [SQLiteConnection]) {
        precondition(!readers.isEmpty, "a pool needs at least one reader")
        self.writer = writer
        self.readerCount = readers.count
        self.readerSlots = DispatchSemaphore(value: readers.count)
        self.idleReaders = readers
    }

    static let closedMessage = "the SQLite store is closed"

    /// Runs `body` with exclusive use of the writer connection.
    func withWriter<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try writerLock.withLock {
            guard !writerClosed else { throw StoreError.unavailable(Self.closedMessage) }
            return try body(writer)
        }
    }

    /// Runs `body` with exclusive use of one reader connection, waiting for
    /// one to become free if all are busy.
    func withReader<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        readerSlots.wait()
        let reader: SQLiteConnection? = readerLock.withLock {
            readersClosed ? nil : idleReaders.popLast()
        }
        guard let reader else {
            readerSlots.signal()
            throw StoreError.unavailable(Self.closedMessage)
        }
        defer {
            readerLock.withLock { idleReaders.append(reader) }
            readerSlots.signal()
        }
        return try body(reader)
    }

    /// Closes every connection once the ones in use are returned. Later calls
    /// of `withWriter`/`withReader` throw `StoreError.unavailable`. Idempotent.
    func close() {
        let alreadyClosed = readerLock.withLock {
            defer { readersClosed = true }
            return readersClosed
        }
        guard !alreadyClosed else { return }
        // Take every reader slot: waits for the queries in flight.
        for _ in 0..<readerCount { readerSlots.wait() }
        readerLock.withLock {
            for reader in idleReaders { reader.close() }
            idleReaders.removeAll()
        }
        // Let callers that queued for a slot in the meantime see the closed flag.
        for _ in 0..<readerCount { readerSlots.signal() }
        writerLock.withLock {
            writerClosed = true
            writer.close()
        }
    }
}
