import CSQLite
import Domain

/// A failed SQLite call: the result code and SQLite's own message.
///
/// It exists so that C result codes are turned into Swift errors in one place
/// and mapped to `StoreError` in one place (`storeError`): the repositories
/// never look at raw codes.
struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// The (possibly extended) result code.
    let code: Int32
    /// `sqlite3_errmsg` at the time of the failure, or our own text.
    let message: String
    /// What the store was doing (never the bound values: those are client data).
    let context: String

    init(code: Int32, message: String, context: String) {
        self.code = code
        self.message = message
        self.context = context
    }

    /// Builds the error from a connection's last failure.
    init(code: Int32, connection: OpaquePointer?, context: String) {
        let text: String
        if let connection, let cText = sqlite3_errmsg(connection) {
            text = String(cString: cText)
        } else {
            text = String(cString: sqlite3_errstr(code))
        }
        self.init(code: code, message: text, context: context)
    }

    /// The primary result code (extended codes carry it in the low byte).
    var primaryCode: Int32 { code & 0xFF }

    /// Whether retrying later may succeed: the database is locked beyond the
    /// busy timeout, the disk is full, or the file system failed.
    var isTransient: Bool {
        switch primaryCode {
        case SQLITE_BUSY, SQLITE_LOCKED, SQLITE_FULL, SQLITE_IOERR: return true
        default: return false
        }
    }

    var description: String { "\(context): \(message) (SQLite code \(code))" }

    /// The error in the terms the protocol understands.
    var storeError: StoreError {
        isTransient ? .unavailable(description) : .failure(description)
    }
}
