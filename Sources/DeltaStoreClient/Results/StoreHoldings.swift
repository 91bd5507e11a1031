import BSONCore
import Foundation

/// `stats`' `store` (PROTOCOL.md §14.1.5): what the store holds now, per
/// collection, and its size, so that a client can watch retention and growth
/// without reading the raw document.
public struct StoreHoldings: Sendable, Equatable {
    /// One collection's holdings.
    public struct Collection: Sendable, Equatable {
        public var count: Int64
        /// The smallest and largest record `timestamp`; nil when the collection is empty.
        public var oldest: Date?
        public var newest: Date?
        /// The retention in force (`--retain`), in seconds; nil when the collection keeps everything.
        public var retainSeconds: Int64?

        public init(count: Int64, oldest: Date?, newest: Date?, retainSeconds: Int64?) {
            self.count = count
            self.oldest = oldest
            self.newest = newest
            self.retainSeconds = retainSeconds
        }
    }

    /// A `backup` running now: the pages copied so far of the pages to copy.
    public struct BackupProgress: Sendable, Equatable {
        public var name: String
        public var pagesDone: Int64
        public var pagesTotal: Int64
    }

    /// `"sqlite"` or `"mongodb"`.
    public var kind: String
    /// The store's size in bytes; nil when the store could not be read (see `error`).
    public var bytes: Int64?
    /// `ticks`, `quotes` and `chains`; empty when the store could not be read.
    public var collections: [String: Collection]
    /// The code the failure to read the store maps to (e.g. `"UNAVAILABLE"`); nil when it was read.
    public var error: String?
    public var backup: BackupProgress?

    init(_ reader: ResultReader) throws {
        kind = try reader.string("kind")
        error = try reader.optionalString("error")
        if error != nil {
            bytes = nil
            collections = [:]
        } else {
            bytes = try reader.integer("bytes")
            var collections: [String: Collection] = [:]
            let all = try reader.reader("collections")
            for (name, _) in all.document.elements {
                let collection = try all.reader(name)
                collections[name] = Collection(
                    count: try collection.integer("count"), oldest: try collection.optionalDate("oldest"),
                    newest: try collection.optionalDate("newest"), retainSeconds: try collection.optionalInteger("retain_s")
                )
            }
            self.collections = collections
        }
        if reader.document["backup"] != nil {
            let progress = try reader.reader("backup")
            backup = BackupProgress(
                name: try progress.string("name"), pagesDone: try progress.integer("pages_done"), pagesTotal: try progress.integer("pages_total")
            )
        } else {
            backup = nil
        }
    }
}
