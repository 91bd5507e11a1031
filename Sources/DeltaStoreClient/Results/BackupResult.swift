import BSONCore

/// The result of `backup`: where the snapshot went, its size and its records.
public struct BackupResult: Sendable, Equatable {
    /// The backup file's absolute path on the daemon's host.
    public var path: String
    public var bytes: Int64
    /// Records per kind: `ticks`, `quotes`, `chains`, `users`, `sessions`.
    public var records: [String: Int64]

    init(_ document: BSONDocument) throws {
        let reader = ResultReader(document, op: "backup")
        path = try reader.string("path")
        bytes = try reader.integer("bytes")
        let counts = ResultReader(try reader.subdocument("records"), op: "backup.records")
        var records: [String: Int64] = [:]
        for kind in ["ticks", "quotes", "chains", "users", "sessions"] {
            records[kind] = try counts.integer(kind)
        }
        self.records = records
    }
}
