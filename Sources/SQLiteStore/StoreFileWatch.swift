#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CSQLite
import Domain
import Logging
import NIOConcurrencyHelpers

/// Watches the database file under a running store: the file the store
/// opened must stay at its path (same device and inode) and must not be
/// corrupt.
///
/// It exists because SQLite keeps working on a file that was deleted or
/// replaced under it: its open descriptors point at the old inode, so writes
/// are acknowledged into a file nobody will ever open again, and a restart
/// finds the path empty or holding another database. `check` compares the
/// path's device and inode with those recorded at open (on `health`, on the
/// watchdog's tick and before every write transaction); `note` records a
/// corruption reported by any SQLite call (SQLITE_CORRUPT, SQLITE_NOTADB).
/// Either failure is sticky — the store stays failed until the daemon is
/// restarted — and is logged once, as an error naming the file.
///
/// `@unchecked Sendable`: the only mutable state, `failure`, is guarded by
/// `lock`.
final class StoreFileWatch: @unchecked Sendable {
    let path: String
    private let device: UInt64
    private let inode: UInt64
    private let logger: Logger
    private let lock = NIOLock()
    private var failure: String?

    /// Records the identity of the file now at `path` (just opened).
    init(path: String, logger: Logger) throws(StoreError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw StoreError.failure("cannot stat the SQLite database \(path) after opening it: \(String(cString: strerror(errno)))")
        }
        self.path = path
        self.device = UInt64(info.st_dev)
        self.inode = UInt64(info.st_ino)
        self.logger = logger
    }

    /// Why the store failed, if it did: checks the path again first.
    func check() -> String? {
        if let failure = lock.withLock({ failure }) { return failure }
        var info = stat()
        if stat(path, &info) != 0 {
            let reason = errno == ENOENT
                ? "the database file \(path) was removed while the daemon ran"
                : "the database file \(path) cannot be checked: \(String(cString: strerror(errno)))"
            return fail(reason)
        }
        if UInt64(info.st_dev) != device || UInt64(info.st_ino) != inode {
            return fail("the database file \(path) was replaced by another file (device and inode changed) while the daemon ran")
        }
        return nil
    }

    /// Why the store failed, without looking at the file again.
    var currentFailure: String? {
        lock.withLock { failure }
    }

    /// Records `error` when it says the file is corrupt.
    func note(_ error: SQLiteError) {
        guard error.isCorruption else { return }
        _ = fail("the database file \(path) is corrupt (\(error.message), SQLite code \(error.code))")
    }

    private func fail(_ reason: String) -> String {
        let first: String? = lock.withLock {
            if let failure { return failure }
            failure = reason
            return nil
        }
        guard let first else {
            logger.error(
                "SQLite store failed: \(reason); writes are refused and health is failed until the daemon is restarted",
                metadata: ["path": "\(path)"]
            )
            return reason
        }
        return first
    }

    /// The error writes get once the store failed.
    static func refusal(_ reason: String) -> StoreError {
        .unavailable("the SQLite store failed: \(reason); writes are refused until the daemon is restarted")
    }
}

extension SQLiteError {
    /// SQLITE_CORRUPT or SQLITE_NOTADB (any extended code of them).
    var isCorruption: Bool {
        primaryCode == SQLITE_CORRUPT || primaryCode == SQLITE_NOTADB
    }
}
