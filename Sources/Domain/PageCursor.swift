/// Where a page ended: the (timestamp, record key) of its last record, and
/// which query it belongs to.
///
/// Pagination is keyset, never skip: the next page continues strictly after
/// this position in the query's order, so every record that existed when the
/// first page was read comes exactly once even while new records arrive. The
/// record key is the store's own tiebreaker (SQLite rowid, MongoDB ObjectId),
/// opaque here. On the wire a cursor is sealed by `CursorKey`: a client can
/// neither build one, nor alter one, nor use one with another query.
public struct PageCursor: Sendable, Equatable {
    public var timestamp: Int64
    public var recordKey: [UInt8]
    /// `QueryIdentity.digest` of the query the page came from.
    public var queryDigest: [UInt8]

    public init(timestamp: Int64, recordKey: [UInt8], query: QueryIdentity) {
        self.init(timestamp: timestamp, recordKey: recordKey, queryDigest: query.digest)
    }

    public init(timestamp: Int64, recordKey: [UInt8], queryDigest: [UInt8]) {
        self.timestamp = timestamp
        self.recordKey = recordKey
        self.queryDigest = queryDigest
    }

    /// Whether this cursor continues the query with `identity` (the stores
    /// check it again before reading; `CursorKey.open` already did).
    public func belongs(to identity: QueryIdentity) -> Bool {
        queryDigest == identity.digest
    }

    /// The reason given for a cursor of another query.
    public static let otherQueryReason = "cursor belongs to a different query (same filters and order are required)"
}
