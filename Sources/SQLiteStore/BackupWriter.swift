#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CSQLite
import Domain

/// Writes a consistent snapshot of a live SQLite store into a file, with
/// SQLite's online backup API (`sqlite3_backup_*`).
///
/// It exists so that the daemon can back its store up while requests go on.
/// The source is a read-only connection of its own that holds one read
/// transaction for the whole copy: in WAL mode that fixes its view of the
/// database (the snapshot is the store as it was when the backup began, every
/// write acknowledged before included) without blocking the writer, and the
/// copy never restarts because of writes made meanwhile. Pages are copied a
/// step at a time so progress can be reported. The copy goes into a hidden
/// temporary file (mode 0600) in the backup directory, is switched to a
/// rollback journal (a single self-contained file), checked with `PRAGMA
/// integrity_check`, flushed to disk, and only then renamed into place.
/// Everything here blocks: it runs on a thread-pool thread.
enum BackupWriter {
    /// Pages per `sqlite3_backup_step` (4 KiB each): 4 MiB.
    static let pagesPerStep: Int32 = 1024
    static let directoryMode: mode_t = 0o750
    static let fileMode: mode_t = 0o600
    static let fileExtension = ".db"

    static func write(
        source path: String, directory: String, name: String, progress: @Sendable (BackupProgress) -> Void
    ) throws -> BackupOutcome {
        try makeDirectory(directory)
        let final = directory + "/" + name + fileExtension
        guard !DatabaseFile.exists(final) else {
            throw StoreError.conflict("a backup named '\(name)' exists already (\(final)): choose another name")
        }
        let temporary = directory + "/." + name + fileExtension + ".partial"
        try createEmpty(temporary)
        var renamed = false
        defer {
            if !renamed {
                unlink(temporary)
                unlink(temporary + "-journal")
            }
        }
        try copy(from: path, to: temporary, progress: progress)
        let records = try check(temporary)
        try flush(temporary)
        guard !DatabaseFile.exists(final) else {
            throw StoreError.conflict("a backup named '\(name)' exists already (\(final)): choose another name")
        }
        guard rename(temporary, final) == 0 else {
            throw StoreError.failure("cannot rename the backup \(temporary) to \(final): \(systemError())")
        }
        renamed = true
        try flush(directory)
        return BackupOutcome(path: final, bytes: SQLiteMarketStore.size(of: final), records: records)
    }

    /// Copies every page of `path` into `destination`, one read transaction
    /// on the source for the whole copy.
    static func copy(from path: String, to destination: String, progress: @Sendable (BackupProgress) -> Void) throws {
        let source = try SQLiteConnection.open(path: path, flags: SQLITE_OPEN_READONLY)
        defer { source.close() }
        try source.exec("PRAGMA busy_timeout = 5000")
        try source.exec("BEGIN")
        // The first read starts the read transaction: the snapshot is fixed here.
        _ = try source.scalarInt("SELECT count(*) FROM sqlite_schema")
        defer { try? source.exec("COMMIT") }
        let target = try SQLiteConnection.open(path: destination, flags: SQLITE_OPEN_READWRITE)
        defer { target.close() }
        try target.withHandle { targetHandle in
            try source.withHandle { sourceHandle in
                guard let backup = sqlite3_backup_init(targetHandle, "main", sourceHandle, "main") else {
                    throw SQLiteError(code: sqlite3_errcode(targetHandle), connection: targetHandle, context: "starting the backup into \(destination)")
                }
                var finished = false
                defer { if !finished { sqlite3_backup_finish(backup) } }
                while true {
                    let code = sqlite3_backup_step(backup, pagesPerStep)
                    let total = Int64(sqlite3_backup_pagecount(backup))
                    progress(BackupProgress(done: total - Int64(sqlite3_backup_remaining(backup)), total: total))
                    if code == SQLITE_DONE { break }
                    if code == SQLITE_OK { continue }
                    if code == SQLITE_BUSY || code == SQLITE_LOCKED {
                        usleep(10_000)
                        continue
                    }
                    throw SQLiteError(code: code, connection: targetHandle, context: "copying pages into the backup \(destination)")
                }
                finished = true
                let code = sqlite3_backup_finish(backup)
                guard code == SQLITE_OK else {
                    throw SQLiteError(code: code, connection: targetHandle, context: "finishing the backup into \(destination)")
                }
            }
        }
        // One file, no -wal or -shm beside it: readable read-only anywhere,
        // and a daemon started on it switches it back to WAL.
        let mode = try target.scalarText("PRAGMA journal_mode = DELETE")
        guard mode?.lowercased() == "delete" else {
            throw StoreError.failure("cannot switch the backup \(destination) to a rollback journal (journal_mode is \(mode ?? "unknown"))")
        }
    }

    /// `PRAGMA integrity_check` of the finished copy, then its record counts.
    static func check(_ path: String) throws -> [(kind: String, count: Int64)] {
        let connection = try SQLiteConnection.open(path: path, flags: SQLITE_OPEN_READONLY)
        defer { connection.close() }
        let problems = try integrityProblems(connection)
        guard problems.isEmpty else {
            throw StoreError.failure("the backup \(path) failed PRAGMA integrity_check (\(problems.joined(separator: "; "))); it was not kept")
        }
        return try recordCounts(connection)
    }

    /// What `PRAGMA integrity_check` reports (empty when it says "ok").
    static func integrityProblems(_ connection: SQLiteConnection) throws -> [String] {
        let rows = try connection.withStatement("PRAGMA integrity_check(20)") { statement in
            var rows: [String] = []
            while try statement.step() { rows.append(statement.text(0)) }
            return rows
        }
        return rows == ["ok"] ? [] : rows
    }

    /// The number of records of each kind (`BackupOutcome.recordKinds`).
    static func recordCounts(_ connection: SQLiteConnection) throws -> [(kind: String, count: Int64)] {
        try BackupOutcome.recordKinds.map { kind in
            (kind: kind, count: try connection.scalarInt("SELECT count(*) FROM \(kind)") ?? 0)
        }
    }

    static func makeDirectory(_ directory: String) throws {
        var info = stat()
        if stat(directory, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw StoreError.failure("the backup directory \(directory) is not a directory")
            }
            // Anyone else who may write there could swap the temporary file
            // for a symlink (to the live store) or replace a finished backup.
            guard info.st_uid == geteuid() || info.st_uid == 0, info.st_mode & 0o022 == 0 else {
                throw StoreError.failure(
                    "the backup directory \(directory) may be written by other users (owner uid \(info.st_uid), mode \(String(info.st_mode & 0o7777, radix: 8))): make it the daemon's own, e.g. chmod go-w"
                )
            }
            return
        }
        let parent = directory.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        if !parent.isEmpty, !DatabaseFile.exists(parent) { try makeDirectory(parent) }
        guard mkdir(directory, directoryMode) == 0 || errno == EEXIST else {
            throw StoreError.failure("cannot create the backup directory \(directory): \(systemError())")
        }
        chmod(directory, directoryMode)
    }

    /// A new, empty file of mode 0600 exactly (an earlier attempt's leftover is truncated).
    static func createEmpty(_ path: String) throws {
        unlink(path + "-journal")
        let descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, fileMode)
        guard descriptor >= 0 else {
            throw StoreError.failure("cannot create the backup file \(path): \(systemError())")
        }
        defer { close(descriptor) }
        guard fchmod(descriptor, fileMode) == 0 else {
            throw StoreError.failure("cannot set the mode of \(path) to 0600: \(systemError())")
        }
    }

    /// fsync of a file or a directory (after a rename: the directory entry).
    static func flush(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw StoreError.failure("cannot open \(path) to flush it: \(systemError())") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw StoreError.failure("cannot flush \(path) to disk: \(systemError())") }
    }

    static func systemError() -> String {
        String(cString: strerror(errno))
    }
}
