import BSONCore
import CMongoC
import Domain

/// Ticks in `underlying_ticks`: the producer's document plus `_id` and, for a
/// tick with a `tick_id`, `_deltastore_tick_key` (unique with product and
/// timestamp, partial index: ticks without a `tick_id` are never deduplicated).
struct MongoTickRepository: TickRepository {
    let executor: MongoExecutor
    let ids: ObjectIDGenerator

    /// Reads never return the bookkeeping field.
    static let projection: BSONDocument = [MongoSchema.tickKeyField: .int32(0)]

    func insert(_ ticks: [Tick]) async throws -> InsertOutcome {
        try MongoInsert.refuseReservedFields(ticks.map(\.document))
        return try await MongoInsert.batch(
            ticks.map(\.document), op: "ticks.insert", collection: MongoSchema.ticks, executor: executor, ids: ids,
            keys: ticks.map(Self.keyFilter),
            extras: ticks.map { tick in tick.tickID.map { [(MongoSchema.tickKeyField, BSONValue.string($0.storageKey))] } ?? [] }
        )
    }

    /// The tick stored under `tick`'s idempotency key (product, tick_id,
    /// timestamp). A tick without `tick_id` has no key (it is never refused
    /// as a duplicate): its filter matches nothing.
    static func keyFilter(_ tick: Tick) -> BSONDocument {
        guard let key = tick.tickID else { return ["_id": ["$exists": false]] }
        return BSONDocument([
            MongoKeyset.equal("product", .string(tick.product)),
            MongoKeyset.equal(MongoSchema.tickKeyField, .string(key.storageKey)),
            MongoKeyset.equal("timestamp", .datetime(tick.timestamp)),
        ])
    }

    func query(_ query: TickQuery) async throws -> Page<Tick> {
        try MongoKeyset.checkLimit(query.limit)
        let identity = query.identity
        let after = try MongoKeyset.position(of: query.after, identity: identity)
        let filter = MongoKeyset.filter([MongoKeyset.equal("product", .string(query.product))], range: query.range, order: query.order, after: after)
        return try await executor.run("ticks.query") { client in
            try MongoKeyset.readPage(
                client, collection: MongoSchema.ticks, filter: filter, order: query.order, limit: query.limit,
                projection: Self.projection, identity: identity, decode: Self.decode
            )
        }
    }

    func latest(product: String) async throws -> Tick? {
        let filter = MongoKeyset.filter([MongoKeyset.equal("product", .string(product))], range: TimeRange(), order: .descending)
        return try await executor.run("ticks.latest") { client in
            try MongoKeyset.latest(client, collection: MongoSchema.ticks, filter: filter, projection: Self.projection, decode: Self.decode)
        }
    }

    /// Reads `timestamp` and `price` newest first, in batches, into the same
    /// `BarBuilder` the SQLite store uses, and stops reading (libmongoc kills
    /// the server cursor) once the newest `limit` bars are complete.
    func bars(_ query: BarQuery) async throws -> [Bar] {
        let filter = Self.barFilter(query)
        let options: BSONDocument = [
            "sort": .document(MongoKeyset.sort(.descending)),
            "projection": ["_id": .int32(0), "timestamp": .int32(1), "price": .int32(1)],
            "batchSize": .int32(Self.barBatchSize),
        ]
        let window = query.window
        let limit = query.limit
        return try await executor.run("ticks.ohlc") { client in
            var builder = BarBuilder(window: window, limit: limit)
            try client.find(MongoSchema.ticks, filter: filter, options: options) { document in
                guard case .datetime(let timestamp) = document["timestamp"], let price = document["price"]?.numericValue else {
                    return true
                }
                return builder.add(timestamp: timestamp, price: price)
            }
            return builder.bars
        }
    }

    static let barBatchSize: Int32 = 1000

    /// A product's ticks in the range whose price is a number.
    static func barFilter(_ query: BarQuery) -> BSONDocument {
        let conditions = [MongoKeyset.equal("product", .string(query.product)), ("price", BSONValue.document(["$type": "number"]))]
        return MongoKeyset.filter(conditions, range: query.range, order: .descending)
    }

    static func decode(_ stored: StoredDocument) throws -> Tick {
        Tick(
            stored: stored.document,
            product: try stored.field("product", FieldRules.name),
            price: stored.document["price"]?.numericValue ?? .nan,
            timestamp: stored.timestamp
        )
    }
}
