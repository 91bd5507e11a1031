#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CSQLite
import Domain

/// A check of a backup file (or any store file) without a running daemon:
/// what `deltastorectl verify-backup FILE` prints.
///
/// It exists so that an operator can trust a backup before needing it: the
/// file is opened read-only (nothing is written to it, no -wal or -shm file
/// is made beside a backup), `PRAGMA integrity_check` runs over every page,
/// and the records of each kind are counted.
public enum BackupFile {
    /// What the check found.
    public struct Report: Sendable {
        public var path: String
        public var bytes: Int64
        /// The schema version (`PRAGMA user_version`).
        public var schemaVersion: Int
        /// Empty when `integrity_check` said "ok".
        public var problems: [String]
        /// In the order of `BackupOutcome.recordKinds`; empty when the file is damaged.
        public var records: [(kind: String, count: Int64)]

        public var isIntact: Bool { problems.isEmpty }
    }

    /// Opens `path` read-only and checks it. Throws `StoreError.failure` for
    /// a file that is missing, not a SQLite database or not a deltastore
    /// store; a damaged database is a report with `problems`.
    public static func verify(path: String) throws -> Report {
        guard DatabaseFile.exists(path) else { throw StoreError.failure("\(path): no such file") }
        // Opening a FIFO would block for ever; a directory reads as a disk I/O error.
        var info = stat()
        guard stat(path, &info) != 0 || info.st_mode & S_IFMT == S_IFREG else {
            throw StoreError.failure("\(path) is not a regular file")
        }
        do {
            let connection = try SQLiteConnection.open(path: path, flags: SQLITE_OPEN_READONLY)
            defer { connection.close() }
            let version = try Migrations.userVersion(of: connection)
            let problems = try BackupWriter.integrityProblems(connection)
            guard problems.isEmpty else {
                return Report(path: path, bytes: SQLiteMarketStore.size(of: path), schemaVersion: version, problems: problems, records: [])
            }
            guard version >= 2 else {
                throw StoreError.failure("\(path) is a SQLite database but not a deltastore store (schema version \(version))")
            }
            let records = try BackupWriter.recordCounts(connection)
            return Report(path: path, bytes: SQLiteMarketStore.size(of: path), schemaVersion: version, problems: [], records: records)
        } catch let error as SQLiteError where error.isCorruption {
            return Report(path: path, bytes: SQLiteMarketStore.size(of: path), schemaVersion: 0, problems: [error.description], records: [])
        } catch let error as SQLiteError {
            throw StoreError.failure("cannot read \(path): \(error)")
        }
    }
}
