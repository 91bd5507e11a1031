import BSONCore
import CMongoC
import Domain

/// The insert path shared by the three repositories.
enum MongoInsert {
    /// Inserts a batch: each document gets a new `_id` first (and the fields
    /// of `extras[i]` last, when given), off the event loops. An item the
    /// collection's unique index refuses (duplicate key, 11000) is read back by
    /// `keys[i]` (the filter of its idempotency key) and compared with what
    /// was sent: a duplicate when it is the same document, byte for byte, else
    /// a conflict (`InsertOutcome`).
    static func batch(
        _ documents: [BSONDocument], op: String, collection: String, executor: MongoExecutor, ids: ObjectIDGenerator,
        keys: [BSONDocument], extras: [[(String, BSONValue)]] = []
    ) async throws -> InsertOutcome {
        guard !documents.isEmpty else { return InsertOutcome(inserted: 0, duplicates: 0) }
        let ids = ids.next(documents.count)
        let options = options(executor.writeConcern)
        return try await executor.run(op) { client in
            let stored = documents.indices.map { index in
                storedBytes(documents[index], id: ids[index], appending: index < extras.count ? extras[index] : [])
            }
            let reply = try run(client, collection: collection, documents: stored, options: options)
            var outcome = InsertOutcome(inserted: reply.inserted, duplicates: 0)
            for index in reply.duplicateIndexes {
                let existing = try storedDocument(client, collection: collection, key: keys[index])
                outcome.keyTaken(at: index, stored: existing?.bytes, sent: documents[index].bytes)
            }
            return outcome
        }
    }

    /// The producer's document stored under `key`, without `_id` and the
    /// bookkeeping fields (so its bytes are those sent), or nil.
    static func storedDocument(_ client: MongoClient, collection: String, key: BSONDocument) throws -> BSONDocument? {
        var found: BSONDocument?
        let options: BSONDocument = ["limit": .int64(1), "singleBatch": .bool(true)]
        try client.find(collection, filter: key, options: options) { raw in
            found = try StoredDocument(raw, collection: collection).document
            return false
        }
        return found
    }

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

    /// What the server took of a batch: how many documents it stored, and the
    /// positions of those its unique index refused (11000), ascending.
    struct BatchReply {
        var inserted: Int
        var duplicateIndexes: [Int]
    }

    /// Runs the insert; duplicate-key write errors (11000) are reported by
    /// position, any other write error fails the call. A failure that is not
    /// a write error (network, selection, write concern) throws even if part
    /// of the batch was stored: it is never reported as done.
    static func run(_ client: MongoClient, collection: String, documents: [[UInt8]], options: BSONDocument) throws -> BatchReply {
        let reply = try client.insertMany(collection, documents: documents, options: options)
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
        let duplicateIndexes = reply.writeErrors.map(\.index).sorted()
        guard answered == documents.count, duplicateIndexes.allSatisfy({ documents.indices.contains($0) }), Set(duplicateIndexes).count == duplicateIndexes.count else {
            throw MongoStoreFailure("insert into \(collection) acknowledged \(reply.inserted) documents and \(reply.writeErrors.count) write errors for \(documents.count) documents")
        }
        return BatchReply(inserted: reply.inserted, duplicateIndexes: duplicateIndexes)
    }
}
