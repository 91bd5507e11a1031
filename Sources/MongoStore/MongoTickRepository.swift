import BSONCore
import CMongoC
import Domain

/// Ticks in `underlying_ticks`: the producer's document plus `_id` and, for a
/// tick with a `tick_id`, `_deltastore_tick_key` (unique per product, partial
/// index: ticks without a `tick_id` are never deduplicated).
struct MongoTickRepository: TickRepository {
    let executor: MongoExecutor
    let ids: ObjectIDGenerator

    /// Reads never return the bookkeeping field.
    static let projection: BSONDocument = [MongoSchema.tickKeyField: .int32(0)]

    func insert(_ ticks: [Tick]) async throws -> InsertOutcome {
        guard !ticks.isEmpty else { return InsertOutcome(inserted: 0, duplicates: 0) }
        try MongoInsert.refuseReservedFields(ticks.map(\.document))
        let ids = self.ids.next(ticks.count)
        let options = MongoInsert.options(executor.writeConcern)
        return try await executor.run("ticks.insert") { client in
            let documents = zip(ticks, ids).map { tick, id in
                MongoInsert.storedBytes(tick.document, id: id, appending: tick.tickID.map { [(MongoSchema.tickKeyField, BSONValue.string($0.storageKey))] } ?? [])
            }
            return try MongoInsert.run(client, collection: MongoSchema.ticks, documents: documents, options: options)
        }
    }

    func query(_ query: TickQuery) async throws -> Page<Tick> {
        try MongoKeyset.checkLimit(query.limit)
        let fingerprint = query.fingerprint
        let after = try MongoKeyset.position(of: query.after, fingerprint: fingerprint)
        let filter = MongoKeyset.filter([MongoKeyset.equal("product", .string(query.product))], range: query.range, order: query.order, after: after)
        return try await executor.run("ticks.query") { client in
            try MongoKeyset.readPage(
                client, collection: MongoSchema.ticks, filter: filter, order: query.order, limit: query.limit,
                projection: Self.projection, fingerprint: fingerprint, decode: Self.decode
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
        var conditions = [MongoKeyset.equal("product", .string(query.product))]
        conditions.append(("price", .document(["$type": "number"])))
        let filter = MongoKeyset.filter(conditions, range: query.range, order: .descending)
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

    static func decode(_ stored: StoredDocument) throws -> Tick {
        Tick(
            stored: stored.document,
            product: try stored.field("product", FieldRules.name),
            price: stored.document["price"]?.numericValue ?? .nan,
            timestamp: stored.timestamp
        )
    }
}

/// The insert path shared by the three repositories.
enum MongoInsert {
    /// Documents that already use a name the store reserves are refused
    /// before anything is written (the batch stays all-or-nothing).
    static func refuseReservedFields(_ documents: [BSONDocument]) throws(FieldError) {
        for document in documents where document[MongoSchema.tickKeyField] != nil {
            throw FieldError(MongoSchema.tickKeyField, "is reserved for the MongoDB store's bookkeeping")
        }
    }

    /// `{_id, …document, …extra}` as bytes: the producer's elements are
    /// copied unchanged, so the document reads back byte for byte.
    static func storedBytes(_ document: BSONDocument, id: BSONObjectID, appending extra: [(String, BSONValue)] = []) -> [UInt8] {
        let idElement = BSONDocument([("_id", .objectID(id))]).bytes.dropFirst(4).dropLast()
        let body = document.bytes.dropFirst(4).dropLast()
        var out: [UInt8] = [0, 0, 0, 0]
        out.reserveCapacity(document.bytes.count + 32)
        out += idElement
        out += body
        for (key, value) in extra {
            out += BSONDocument([(key, value)]).bytes.dropFirst(4).dropLast()
        }
        out.append(0)
        let length = UInt32(out.count)
        out[0] = UInt8(truncatingIfNeeded: length)
        out[1] = UInt8(truncatingIfNeeded: length >> 8)
        out[2] = UInt8(truncatingIfNeeded: length >> 16)
        out[3] = UInt8(truncatingIfNeeded: length >> 24)
        return out
    }

    static func options(_ writeConcern: MongoWriteConcern) -> BSONDocument {
        ["ordered": false, "writeConcern": .document(writeConcern.document)]
    }

    /// Runs the insert; duplicate-key write errors (11000) are duplicates,
    /// any other write error fails the call. A failure that is not a write
    /// error (network, selection, write concern) throws even if part of the
    /// batch was stored: it is never reported as done.
    static func run(_ client: MongoClient, collection: String, documents: [[UInt8]], options: BSONDocument) throws -> InsertOutcome {
        let reply = try client.insertMany(collection, documents: documents, options: options)
        let duplicates = reply.writeErrors.filter { $0.code == 11000 }.count
        if let other = reply.writeErrors.first(where: { $0.code != 11000 }) {
            throw MongoError(domain: MONGOC_ERROR_SERVER.rawValue, code: UInt32(truncatingIfNeeded: other.code), message: "insert into \(collection) refused document \(other.index): \(other.message)")
        }
        let answered = reply.inserted + reply.writeErrors.count
        if answered < documents.count {
            // libmongoc splits a batch into several inserts and, when a later
            // one fails on the network, reports the first write error of an
            // earlier one as the call's error. Documents the server never
            // answered for mean the batch was cut off: unavailable, not done.
            throw MongoError(
                domain: MONGOC_ERROR_STREAM.rawValue, code: MONGOC_ERROR_STREAM_SOCKET.rawValue,
                message: "insert into \(collection): MongoDB answered for \(answered) of \(documents.count) documents; the rest of the batch was cut off"
            )
        }
        guard answered == documents.count else {
            throw MongoStoreFailure("insert into \(collection) acknowledged \(reply.inserted) documents and \(reply.writeErrors.count) write errors for \(documents.count) documents")
        }
        return InsertOutcome(inserted: reply.inserted, duplicates: duplicates)
    }
}
