import CSQLite

/// Facts about the SQLite library this build links, for `deltastored --version`
/// and for checking at start that the native set-up is the one expected.
public enum SQLiteLibrary {
    /// The linked SQLite version, e.g. "3.40.1".
    public static var version: String { String(cString: sqlite3_libversion()) }

    /// Whether SQLite was built thread-safe; the store relies on it when it
    /// moves connections between worker threads.
    public static var isThreadSafe: Bool { sqlite3_threadsafe() != 0 }
}
