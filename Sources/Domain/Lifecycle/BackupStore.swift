/// What a backup wrote: the file, its size and how many records of each
/// kind it holds (`ticks`, `quotes`, `chains`, `users`, `sessions`).
public struct BackupOutcome: Sendable, Equatable {
    public var path: String
    public var bytes: Int64
    /// In the order of `BackupOutcome.recordKinds`.
    public var records: [(kind: String, count: Int64)]

    public static let recordKinds = ["ticks", "quotes", "chains", "users", "sessions"]

    public init(path: String, bytes: Int64, records: [(kind: String, count: Int64)]) {
        self.path = path
        self.bytes = bytes
        self.records = records
    }

    public static func == (a: BackupOutcome, b: BackupOutcome) -> Bool {
        a.path == b.path && a.bytes == b.bytes && a.records.map(\.kind) == b.records.map(\.kind) && a.records.map(\.count) == b.records.map(\.count)
    }
}

/// How far a running backup is: pages copied of the pages to copy.
public struct BackupProgress: Sendable, Equatable {
    public var done: Int64
    public var total: Int64

    public init(done: Int64, total: Int64) {
        self.done = done
        self.total = total
    }
}

/// A store that can write a consistent snapshot of itself to a file while
/// requests go on (the SQLite store).
///
/// It exists apart from `MarketStore` because the MongoDB store has no such
/// operation: a MongoDB deployment is backed up with its own tools
/// (`mongodump`), and the daemon says so instead of pretending.
public protocol BackupStore: Sendable {
    /// Writes the snapshot as `directory/name.db` (the directory is created
    /// with mode 0750 when missing): into a temporary file, checked with
    /// `PRAGMA integrity_check`, then renamed into place, mode 0600.
    /// `progress` is called as pages are copied. Throws `StoreError.conflict`
    /// when the file exists already.
    func backup(directory: String, name: String, progress: @escaping @Sendable (BackupProgress) -> Void) async throws -> BackupOutcome
}
