/// What one collection holds: its record count and the oldest and newest
/// record times (milliseconds since the epoch; nil when it is empty).
public struct CollectionHoldings: Sendable, Equatable {
    public var count: Int64
    public var oldest: Int64?
    public var newest: Int64?

    public init(count: Int64, oldest: Int64?, newest: Int64?) {
        self.count = count
        self.oldest = oldest
        self.newest = newest
    }
}

/// What a whole store holds, for `stats`: per collection its holdings, and
/// the store's size in bytes (SQLite: the database file plus its WAL;
/// MongoDB: the database's storage and index sizes from `dbStats`).
public struct StoreHoldings: Sendable, Equatable {
    public var collections: [RecordCollection: CollectionHoldings]
    public var bytes: Int64

    public init(collections: [RecordCollection: CollectionHoldings], bytes: Int64) {
        self.collections = collections
        self.bytes = bytes
    }
}
