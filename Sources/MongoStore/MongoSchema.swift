import BSONCore

/// The collections, the stored shape of a record, and the indexes.
///
/// Collections (the original DeltaStream names, so an existing database is
/// read as it is): `underlying_ticks`, `option_quotes`, `option_chains`, and
/// for auth `users` (DeltaStream's) and `sessions` (see `MongoUserRepository`
/// and `MongoSessionRepository` for their stored shape).
///
/// Stored shape: the producer's document, field for field and in its order,
/// with `_id` (an ObjectId from `ObjectIDGenerator`) in front and, for a tick
/// sent with a `tick_id`, one bookkeeping field at the end:
///
///     {_id: ObjectId, product, price, timestamp, tick_id, …extra, _deltastore_tick_key: "s:…" | "i:…"}
///
/// `_deltastore_tick_key` is the typed `tick_id` (`IdempotencyKey.storageKey`:
/// the string "5" and the integer 5 are different keys, int32 and int64 5 the
/// same one); with `product` and `timestamp` it is the tick's idempotency key. Reads drop `_id` and the bookkeeping field, so a record comes
/// back byte for byte as it was sent. A producer document that itself has a
/// top-level `_deltastore_tick_key` is refused.
enum MongoSchema {
    static let ticks = "underlying_ticks"
    static let quotes = "option_quotes"
    static let chains = "option_chains"
    static let users = "users"
    static let sessions = "sessions"

    /// The tick bookkeeping field (see above).
    static let tickKeyField = "_deltastore_tick_key"
    /// Fields the store adds; never returned.
    static let bookkeepingFields: Set<String> = ["_id", tickKeyField]

    /// One index the store ensures at start.
    struct Index: Sendable, Equatable {
        var collection: String
        var keys: [(String, Int32)]
        var unique: Bool = false
        var partialFilter: BSONDocument? = nil

        static func == (a: Index, b: Index) -> Bool {
            a.collection == b.collection && a.name == b.name && a.unique == b.unique && a.partialFilter == b.partialFilter
        }

        /// MongoDB's default name: `field_direction` joined by `_`.
        var name: String {
            keys.map { "\($0.0)_\($0.1)" }.joined(separator: "_")
        }

        var keyDocument: BSONDocument {
            BSONDocument(keys.map { ($0.0, BSONValue.int32($0.1)) })
        }

        /// The element of `createIndexes`' `indexes` array.
        var specification: BSONDocument {
            var pairs: [(String, BSONValue)] = [("key", .document(keyDocument)), ("name", .string(name))]
            if unique { pairs.append(("unique", .bool(true))) }
            if let partialFilter { pairs.append(("partialFilterExpression", .document(partialFilter))) }
            return BSONDocument(pairs)
        }
    }

    /// Every index, in creation order.
    ///
    /// The original DeltaStream's five indexes are here with `_id` added as
    /// the last key where a query pages through records: queries sort by
    /// `(timestamp, _id)` — `_id` breaks ties between equal timestamps — and
    /// an index that ends in `_id` gives that order directly, so a page reads
    /// `limit + 1` index entries instead of sorting every record of the
    /// product in memory. Each original index is a prefix of one here, so the
    /// queries the original services ran are served as before. Chains also get
    /// `(product, timestamp, _id)` for queries across expiries, and quotes
    /// `(product, expiry)` so that `expiries.list` scans one index entry per
    /// distinct expiry rather than every quote of the product. The unique
    /// indexes are the idempotency keys.
    static let indexes: [Index] = [
        Index(collection: ticks, keys: [("product", 1), ("timestamp", -1), ("_id", -1)]),
        Index(collection: ticks, keys: [("timestamp", -1)]),
        Index(
            collection: ticks, keys: [("product", 1), (tickKeyField, 1), ("timestamp", 1)], unique: true,
            partialFilter: [tickKeyField: ["$exists": true]]
        ),
        Index(collection: quotes, keys: [("symbol", 1), ("timestamp", -1), ("_id", -1)]),
        Index(collection: quotes, keys: [("product", 1), ("timestamp", -1), ("_id", -1)]),
        Index(collection: quotes, keys: [("symbol", 1), ("timestamp", 1)], unique: true),
        // expiries.list: `distinct` of expiry for one product reads one entry per expiry.
        Index(collection: quotes, keys: [("product", 1), ("expiry", 1)]),
        // Retention: the purge finds the oldest records by time.
        Index(collection: quotes, keys: [("timestamp", -1)]),
        Index(collection: chains, keys: [("product", 1), ("expiry", 1), ("timestamp", -1), ("_id", -1)]),
        Index(collection: chains, keys: [("product", 1), ("timestamp", -1), ("_id", -1)]),
        Index(collection: chains, keys: [("product", 1), ("expiry", 1), ("timestamp", 1)], unique: true),
        Index(collection: chains, keys: [("timestamp", -1)]),
        // Auth: DeltaStream's unique email (same keys and default name, so an
        // existing database's index is the same one), and sessions found by
        // token hash (unique), user (logout of all sessions), family
        // (revocation), revocation time (the revocation feed) and expiry
        // (removal of expired sessions).
        Index(collection: users, keys: [("email", 1)], unique: true),
        Index(collection: sessions, keys: [("token_hash", 1)], unique: true),
        Index(collection: sessions, keys: [("user_id", 1)]),
        Index(collection: sessions, keys: [("family_id", 1)]),
        Index(collection: sessions, keys: [("revoked_at", 1)]),
        Index(collection: sessions, keys: [("expires_at", 1)]),
    ]

    /// Indexes an earlier deltastored created that must not stay: dropped at
    /// start, after `indexes` exist (so the data is never without a unique
    /// key). `product_1__deltastore_tick_key_1` made (product, tick_id) the
    /// tick key, which refused a restarted feed's ticks (tick_id numbered
    /// from 0 again) as duplicates; (product, tick_id, timestamp) replaced it.
    static let retiredIndexes: [(collection: String, name: String)] = [
        (ticks, "product_1_\(tickKeyField)_1"),
    ]

    /// `dropIndexes` for a retired index.
    static func dropIndexCommand(collection: String, name: String, writeConcern: MongoWriteConcern) -> BSONDocument {
        ["dropIndexes": .string(collection), "index": .string(name), "writeConcern": .document(writeConcern.document)]
    }

    /// `createIndexes` for one index.
    static func createIndexesCommand(_ index: Index, writeConcern: MongoWriteConcern) -> BSONDocument {
        [
            "createIndexes": .string(index.collection),
            "indexes": [.document(index.specification)],
            "writeConcern": .document(writeConcern.document),
        ]
    }
}
