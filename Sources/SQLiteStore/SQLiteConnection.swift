import CSQLite

/// Owns one `sqlite3*` database connection and its prepared statements.
///
/// It exists to keep every raw handle in one place: opening (always with
/// `SQLITE_OPEN_NOMUTEX`, so SQLite does no locking of its own on the
/// connection), running SQL, the statement cache (keyed by SQL text, so each
/// statement is compiled once per connection), transactions, and closing
/// (which finalizes every cached statement first).
///
/// `@unchecked Sendable` is safe because of confinement: a connection is only
/// reachable through `ConnectionPool.withWriter`/`withReader`, which hand it to
/// exactly one thread-pool thread at a time (behind a lock for the writer, out
/// of a locked free list for readers). SQLite's multi-thread mode allows a
/// connection to move between threads as long as it is never used by two at once.
final class SQLiteConnection: @unchecked Sendable {
    let path: String
    private var handle: OpaquePointer?
    private var statements: [String: SQLiteStatement] = [:]

    private init(path: String, handle: OpaquePointer) {
        self.path = path
        self.handle = handle
    }

    deinit {
        close()
    }

    /// Opens `path` with `flags` (`SQLITE_OPEN_NOMUTEX` is always added).
    static func open(path: String, flags: Int32) throws(SQLiteError) -> SQLiteConnection {
        var db: OpaquePointer?
        let code = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard code == SQLITE_OK, let db else {
            let error = SQLiteError(code: code, connection: db, context: "opening \(path)")
            // A handle is allocated even when opening fails; it must be closed.
            sqlite3_close_v2(db)
            throw error
        }
        sqlite3_extended_result_codes(db, 1)
        return SQLiteConnection(path: path, handle: db)
    }

    private func openHandle(_ context: @autoclosure () -> String) throws(SQLiteError) -> OpaquePointer {
        guard let handle else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "the connection is closed", context: context())
        }
        return handle
    }

    /// Runs one or more SQL statements that take no parameters (DDL, pragmas,
    /// transaction control).
    func exec(_ sql: String) throws(SQLiteError) {
        let db = try openHandle("running \(sql)")
        var errorMessage: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(db, sql, nil, nil, &errorMessage)
        guard code == SQLITE_OK else {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_free(errorMessage)
            let firstLine = sql.split(whereSeparator: \.isNewline).first.map(String.init) ?? sql
            throw SQLiteError(code: code, message: message, context: "running `\(firstLine.prefix(80))`")
        }
    }

    /// Runs `body` with the cached statement for `sql` (prepared on first
    /// use); the statement is reset and its bindings cleared afterwards.
    func withStatement<T>(_ sql: String, _ body: (SQLiteStatement) throws -> T) throws -> T {
        let statement = try prepared(sql)
        defer { statement.reset() }
        return try body(statement)
    }

    private func prepared(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let cached = statements[sql] { return cached }
        let db = try openHandle("preparing \(sql)")
        var raw: OpaquePointer?
        let code = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard code == SQLITE_OK, let raw else {
            throw SQLiteError(code: code, connection: db, context: "preparing `\(sql.prefix(80))`")
        }
        let statement = SQLiteStatement(handle: raw, sql: sql)
        statements[sql] = statement
        return statement
    }

    /// The first column of the first row of `sql` as text (for pragmas).
    func scalarText(_ sql: String) throws -> String? {
        try withStatement(sql) { statement in
            try statement.step() ? statement.text(0) : nil
        }
    }

    /// The first column of the first row of `sql` as an integer.
    func scalarInt(_ sql: String) throws -> Int64? {
        try withStatement(sql) { statement in
            try statement.step() ? statement.int64(0) : nil
        }
    }

    /// Rows changed by the most recent INSERT, UPDATE or DELETE on this connection.
    var changes: Int {
        handle.map { Int(sqlite3_changes($0)) } ?? 0
    }

    /// Runs `body` in a write transaction (`BEGIN IMMEDIATE`, so the write lock
    /// is taken at once and a busy database fails before any work is done):
    /// committed when `body` returns, rolled back when it or COMMIT throws.
    func writeTransaction<T>(_ body: () throws -> T) throws -> T {
        try exec("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try exec("COMMIT")
            return result
        } catch {
            // COMMIT may have failed with the transaction still open; after a
            // failed statement SQLite may also have rolled back already, in
            // which case this ROLLBACK fails harmlessly.
            if let db = handle, sqlite3_get_autocommit(db) == 0 {
                try? exec("ROLLBACK")
            }
            throw error
        }
    }

    /// Runs `body` with the raw `sqlite3*` (for the online backup API, which
    /// takes two connections' handles). Confinement as for every other call.
    func withHandle<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        try body(try openHandle("using the connection"))
    }

    /// Runs `body` with SQLite's automatic checkpoint off, so that its
    /// commit does not also copy the WAL into the database file while the
    /// caller holds the write lock (the purge checkpoints separately).
    func withoutAutoCheckpoint<T>(_ body: () throws -> T) throws -> T {
        try exec("PRAGMA wal_autocheckpoint = 0")
        defer { try? exec("PRAGMA wal_autocheckpoint = \(Self.autoCheckpointPages)") }
        return try body()
    }

    /// SQLite's default `wal_autocheckpoint`.
    static let autoCheckpointPages = 1000

    /// Finalizes every cached statement and closes the connection. Idempotent.
    func close() {
        for statement in statements.values { statement.finalize() }
        statements.removeAll()
        if let handle {
            sqlite3_close_v2(handle)
            self.handle = nil
        }
    }
}
