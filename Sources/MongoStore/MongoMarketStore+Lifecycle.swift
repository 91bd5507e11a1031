import BSONCore
import Domain

/// Retention and `stats` on MongoDB: batched deletes over the `timestamp`
/// indexes, counts and time ranges, and the database's size from `dbStats`.
///
/// A purge batch finds the `_id`s of the oldest `limit` records before the
/// cutoff (sorted on `timestamp`, read from its index: `timestamp_-1` of each
/// collection) and deletes exactly those with the store's write concern, so
/// each batch is a bounded amount of work for the deployment. (A TTL index
/// was not used: it needs a field of its own per retention, runs on the
/// server's schedule, once a minute at best, and cannot log what it deleted.)
/// Only records whose `timestamp` is a BSON datetime are purged.
extension MongoMarketStore: LifecycleStore {
    static func collectionName(_ collection: RecordCollection) -> String {
        switch collection {
        case .ticks: return MongoSchema.ticks
        case .quotes: return MongoSchema.quotes
        case .chains: return MongoSchema.chains
        }
    }

    public func purge(_ collection: RecordCollection, before cutoff: Int64, limit: Int) async throws -> Int {
        guard limit > 0 else { return 0 }
        let name = Self.collectionName(collection)
        let filter: BSONDocument = ["timestamp": ["$lt": .datetime(cutoff)]]
        let findOptions: BSONDocument = [
            "sort": ["timestamp": 1], "projection": ["_id": 1], "limit": .int64(Int64(limit)), "batchSize": .int64(Int64(limit)),
        ]
        let deleteOptions = MongoAuthWrite.options(executor.writeConcern)
        return try await executor.run("retention purge") { client in
            var ids: [BSONValue] = []
            try client.find(name, filter: filter, options: findOptions) { document in
                if let id = document["_id"] { ids.append(id) }
                return true
            }
            guard !ids.isEmpty else { return 0 }
            return try client.deleteMany(name, filter: ["_id": ["$in": .array(ids)]], options: deleteOptions).deleted
        }
    }

    /// MongoDB's storage engine reuses the space of deleted documents itself.
    public func reclaimSpace(pages: Int) async throws -> Bool {
        false
    }

    /// Nothing to do: MongoDB's storage engine checkpoints on its own.
    public func checkpoint() async throws {}

    public func holdings() async throws -> StoreHoldings {
        try await executor.run("stats") { client in
            var collections: [RecordCollection: CollectionHoldings] = [:]
            for collection in RecordCollection.allCases {
                let name = Self.collectionName(collection)
                let counted = try client.readCommand(BSONDocument([("count", BSONValue.string(name))]))
                let count = counted["n"]?.integerValue ?? 0
                collections[collection] = CollectionHoldings(
                    count: count,
                    oldest: try Self.edge(client, name, direction: 1),
                    newest: try Self.edge(client, name, direction: -1)
                )
            }
            let stats = try client.command(["dbStats": 1])
            let bytes = (stats["storageSize"]?.numericValue ?? 0) + (stats["indexSize"]?.numericValue ?? 0)
            return StoreHoldings(collections: collections, bytes: Int64(exactly: bytes.rounded()) ?? 0)
        }
    }

    /// The oldest (`direction` 1) or newest (-1) datetime `timestamp` of a collection.
    static func edge(_ client: MongoClient, _ collection: String, direction: Int32) throws -> Int64? {
        var found: Int64?
        let options: BSONDocument = ["sort": ["timestamp": .int32(direction)], "projection": ["_id": 0, "timestamp": 1], "limit": 1]
        try client.find(collection, filter: ["timestamp": ["$type": "date"]], options: options) { document in
            found = document["timestamp"]?.datetimeValue
            return false
        }
        return found
    }
}
