import BSONCore
import Domain

/// Filters, sorts and pages for the time-series queries, shared by ticks,
/// quotes and chains so that the three paginate in exactly one way (the
/// MongoDB twin of the SQLite store's `KeysetPagination`).
///
/// Order is `(timestamp, _id)`: `_id` (an ObjectId that increases with
/// insertion) breaks ties, so equal timestamps keep insertion order. A page
/// asks for `limit + 1` documents; the extra one only tells that more follow.
/// The next page continues strictly after the last returned `(timestamp, _id)`:
///
///     timestamp <= t AND (timestamp < t OR (timestamp == t AND _id < id))      (descending)
///
/// Filters are built from typed, validated values only, and every equality is
/// spelled `{field: {$eq: value}}`, so no client string is ever in a position
/// where MongoDB reads operators.
enum MongoKeyset {
    /// `{field: {$eq: value}}`'s element.
    static func equal(_ field: String, _ value: BSONValue) -> (String, BSONValue) {
        (field, .document(["$eq": value]))
    }

    /// The filter: the equalities and other conditions given, the time range
    /// (inclusive; `$type: "date"` skips documents whose timestamp is not a
    /// BSON datetime, e.g. strings written by an older producer), and the
    /// position after `after`.
    static func filter(
        _ conditions: [(String, BSONValue)],
        range: TimeRange,
        order: SortOrder,
        after: (timestamp: Int64, id: BSONObjectID)? = nil
    ) -> BSONDocument {
        // After a cursor, the bound on its side is tightened: no result
        // changes, and the index scan starts at the cursor.
        let bounds = after.map { range.narrowed(after: $0.timestamp, order: order) } ?? range
        var time: [(String, BSONValue)] = [("$type", .string("date"))]
        if let start = bounds.start { time.append(("$gte", .datetime(start))) }
        if let end = bounds.end { time.append(("$lte", .datetime(end))) }
        var pairs = conditions
        pairs.append(("timestamp", .document(BSONDocument(time))))
        if let after {
            let beyond = order == .descending ? "$lt" : "$gt"
            pairs.append(("$or", .array([
                .document(["timestamp": .document([beyond: .datetime(after.timestamp)])]),
                .document([
                    "timestamp": .document(["$eq": .datetime(after.timestamp)]),
                    "_id": .document([beyond: .objectID(after.id)]),
                ]),
            ])))
        }
        return BSONDocument(pairs)
    }

    /// `{timestamp: ±1, _id: ±1}`.
    static func sort(_ order: SortOrder) -> BSONDocument {
        let direction: Int32 = order == .descending ? -1 : 1
        return ["timestamp": .int32(direction), "_id": .int32(direction)]
    }

    /// `find` options for one page: `limit + 1` documents in one batch.
    static func pageOptions(order: SortOrder, limit: Int, projection: BSONDocument?) -> BSONDocument {
        var pairs: [(String, BSONValue)] = [("sort", .document(sort(order)))]
        if let projection { pairs.append(("projection", .document(projection))) }
        let count = recordsToRead(forPageOf: limit)
        pairs.append(("limit", .int64(count)))
        pairs.append(("batchSize", .int64(count)))
        return BSONDocument(pairs)
    }

    /// The cursor's record key: the `_id`'s 12 bytes.
    static func recordKey(_ id: BSONObjectID) -> [UInt8] { id.bytes }

    static func checkLimit(_ limit: Int) throws(FieldError) {
        guard limit >= 1 else { throw FieldError("limit", "must be at least 1") }
    }

    /// The position in a cursor this store issued for the query with `identity`.
    static func position(of cursor: PageCursor?, identity: QueryIdentity) throws(FieldError) -> (timestamp: Int64, id: BSONObjectID)? {
        guard let cursor else { return nil }
        guard cursor.belongs(to: identity) else { throw FieldError("cursor", PageCursor.otherQueryReason) }
        guard let id = BSONObjectID(bytes: cursor.recordKey) else {
            throw FieldError("cursor", "not a cursor issued by this store")
        }
        return (cursor.timestamp, id)
    }

    /// Reads one page: at most `limit` records and, when one more document
    /// exists, `next` after the last record. Runs on a thread-pool thread.
    static func readPage<Record: Sendable>(
        _ client: MongoClient,
        collection: String,
        filter: BSONDocument,
        order: SortOrder,
        limit: Int,
        projection: BSONDocument?,
        identity: QueryIdentity,
        decode: (StoredDocument) throws -> Record
    ) throws -> Page<Record> {
        var records: [Record] = []
        var last: (timestamp: Int64, id: BSONObjectID)?
        var more = false
        try client.find(collection, filter: filter, options: pageOptions(order: order, limit: limit, projection: projection)) { raw in
            guard records.count < limit else {
                more = true
                return false
            }
            let stored = try StoredDocument(raw, collection: collection)
            records.append(try decode(stored))
            last = (stored.timestamp, stored.id)
            return true
        }
        guard more, let last else { return Page(records: records, next: nil) }
        return Page(records: records, next: PageCursor(timestamp: last.timestamp, recordKey: recordKey(last.id), query: identity))
    }

    /// The newest document (by `(timestamp, _id)`) of a query, if any.
    static func latest<Record>(
        _ client: MongoClient,
        collection: String,
        filter: BSONDocument,
        projection: BSONDocument?,
        decode: (StoredDocument) throws -> Record
    ) throws -> Record? {
        var pairs: [(String, BSONValue)] = [("sort", .document(sort(.descending)))]
        if let projection { pairs.append(("projection", .document(projection))) }
        pairs.append(("limit", .int64(1)))
        pairs.append(("singleBatch", .bool(true)))
        var record: Record?
        try client.find(collection, filter: filter, options: BSONDocument(pairs)) { raw in
            record = try decode(try StoredDocument(raw, collection: collection))
            return false
        }
        return record
    }
}

/// A document as read back: the producer's document (without `_id` and the
/// bookkeeping fields, its bytes otherwise untouched), its `_id` and its
/// timestamp.
struct StoredDocument {
    let document: BSONDocument
    let id: BSONObjectID
    let timestamp: Int64

    init(_ raw: BSONDocument, collection: String) throws {
        guard case .objectID(let id) = raw["_id"] else {
            throw MongoStoreFailure("a document in \(collection) has an _id that is not an ObjectId (\(raw["_id"]?.typeName ?? "missing")); the store pages by ObjectId")
        }
        guard case .datetime(let timestamp) = raw["timestamp"] else {
            throw MongoStoreFailure("document \(id) in \(collection) has no datetime timestamp")
        }
        self.id = id
        self.timestamp = timestamp
        self.document = raw.removing(MongoSchema.bookkeepingFields)
    }

    /// A required field, checked with the domain's rules; a stored document
    /// that breaks them (written by another program) is a store failure.
    func field<T>(_ name: String, _ rule: (BSONValue?, String) throws(FieldError) -> T) throws -> T {
        do {
            return try rule(document[name], name)
        } catch {
            throw MongoStoreFailure("document \(id) does not follow the record rules: \(error)")
        }
    }
}
