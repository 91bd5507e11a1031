import CSQLite

/// One prepared statement: binding by parameter name, stepping, reading columns.
///
/// It exists so that the repositories never touch `sqlite3_stmt*`. Statements
/// are owned by the `SQLiteConnection` that prepared them (its cache) and are
/// only used inside that connection's exclusive use, so they inherit its
/// confinement; they are deliberately not `Sendable`.
final class SQLiteStatement {
    private let handle: OpaquePointer
    /// The SQL text, for error messages (never the bound values).
    let sql: String

    /// `SQLITE_TRANSIENT`: SQLite copies the bytes before the bind call
    /// returns, so Swift buffers may be temporary.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(handle: OpaquePointer, sql: String) {
        self.handle = handle
        self.sql = sql
    }

    func finalize() {
        sqlite3_finalize(handle)
    }

    /// Clears the previous run: called before the statement is handed out again.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    // MARK: Binding

    private func index(of name: String) throws(SQLiteError) -> Int32 {
        let index = sqlite3_bind_parameter_index(handle, name)
        guard index > 0 else {
            throw SQLiteError(code: SQLITE_RANGE, message: "no parameter \(name)", context: context)
        }
        return index
    }

    private func check(_ code: Int32) throws(SQLiteError) {
        guard code == SQLITE_OK else {
            throw SQLiteError(code: code, connection: sqlite3_db_handle(handle), context: context)
        }
    }

    func bind(_ name: String, _ value: Int64) throws(SQLiteError) {
        try check(sqlite3_bind_int64(handle, try index(of: name), value))
    }

    func bind(_ name: String, _ value: Int) throws(SQLiteError) {
        try bind(name, Int64(value))
    }

    func bind(_ name: String, _ value: Double) throws(SQLiteError) {
        try check(sqlite3_bind_double(handle, try index(of: name), value))
    }

    func bind(_ name: String, _ value: String) throws(SQLiteError) {
        let position = try index(of: name)
        var text = value
        let code = text.withUTF8 { buffer -> Int32 in
            // A nil base address would bind NULL instead of the empty string.
            guard let base = buffer.baseAddress, buffer.count > 0 else {
                return sqlite3_bind_text(handle, position, "", 0, Self.transient)
            }
            return base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                sqlite3_bind_text64(handle, position, $0, sqlite3_uint64(buffer.count), Self.transient, UInt8(SQLITE_UTF8))
            }
        }
        try check(code)
    }

    func bind(_ name: String, blob bytes: [UInt8]) throws(SQLiteError) {
        let position = try index(of: name)
        let code = bytes.withUnsafeBytes { buffer -> Int32 in
            guard let base = buffer.baseAddress, buffer.count > 0 else {
                return sqlite3_bind_zeroblob(handle, position, 0)
            }
            return sqlite3_bind_blob64(handle, position, base, sqlite3_uint64(buffer.count), Self.transient)
        }
        try check(code)
    }

    func bindNull(_ name: String) throws(SQLiteError) {
        try check(sqlite3_bind_null(handle, try index(of: name)))
    }

    func bind(_ name: String, _ value: String?) throws(SQLiteError) {
        if let value { try bind(name, value) } else { try bindNull(name) }
    }

    func bind(_ name: String, _ value: Double?) throws(SQLiteError) {
        if let value { try bind(name, value) } else { try bindNull(name) }
    }

    // MARK: Stepping

    /// Advances to the next row: true when a row is available, false when done.
    func step() throws(SQLiteError) -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw SQLiteError(code: code, connection: sqlite3_db_handle(handle), context: context)
        }
    }

    /// Runs a statement that returns no rows.
    func run() throws(SQLiteError) {
        while try step() {}
    }

    /// Virtual-machine steps of the current run: how much work SQLite did (a
    /// seek costs a few, a scan one per row), for the tests that check that a
    /// query seeks.
    var virtualMachineSteps: Int32 {
        sqlite3_stmt_status(handle, SQLITE_STMTSTATUS_VM_STEP, 0)
    }

    // MARK: Columns (valid after `step` returned true)

    func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    func double(_ column: Int32) -> Double {
        sqlite3_column_double(handle, column)
    }

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    func blob(_ column: Int32) -> [UInt8] {
        guard let pointer = sqlite3_column_blob(handle, column) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, column))
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    private var context: String {
        let oneLine = sql.split(whereSeparator: \.isNewline).map { $0.trimmingSpaces }.joined(separator: " ")
        return "running `\(oneLine.prefix(80))`"
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
