import BSONCore
import CMongoC
import Domain

/// The MongoDB operations the store uses, on one popped `mongoc_client_t`.
///
/// A value of this type exists only inside `MongoClientPool.withClient`, on
/// one thread-pool thread; it is deliberately not `Sendable`. Every method
/// blocks until the server answers (bounded by the URI's timeouts) and throws
/// `MongoError` for what libmongoc reports.
struct MongoClient {
    let client: OpaquePointer
    let database: String

    /// Runs a command on the store's database (or `database`) on the
    /// primary and returns the server's reply: `{ping: 1}`, `createIndexes`,
    /// … The command carries its own write concern where it has one.
    func command(_ command: BSONDocument, on database: String? = nil) throws -> BSONDocument {
        try run(command, on: database) { commandHandle, database, reply, error in
            mongoc_client_command_with_opts(client, database, commandHandle, nil, nil, reply, error)
        }
    }

    /// Runs a read command (`distinct`) with the URI's read preference and
    /// read concern, as `find` does.
    func readCommand(_ command: BSONDocument) throws -> BSONDocument {
        try run(command, on: nil) { commandHandle, database, reply, error in
            mongoc_client_read_command_with_opts(client, database, commandHandle, nil, nil, reply, error)
        }
    }

    private func run(
        _ command: BSONDocument,
        on database: String?,
        _ call: (OpaquePointer, String, OpaquePointer, UnsafeMutablePointer<bson_error_t>) -> Bool
    ) throws -> BSONDocument {
        let reply = BSONReply()
        var error = bson_error_t()
        let ok = try MongoBSON.with(command) { commandHandle in
            call(commandHandle, database ?? self.database, reply.pointer, &error)
        }
        let document = try? reply.document()
        guard ok else { throw MongoError(error, reply: document) }
        return document ?? BSONDocument()
    }

    /// Runs `find` on `collection` and hands each document to `each` until it
    /// returns false or the results end; libmongoc sends `getMore` for further
    /// batches and `killCursors` when the cursor is abandoned early.
    /// `options` holds `sort`, `projection`, `limit`, `batchSize`.
    func find(_ collection: String, filter: BSONDocument, options: BSONDocument, _ each: (BSONDocument) throws -> Bool) throws {
        guard let handle = mongoc_client_get_collection(client, database, collection) else {
            throw MongoStoreFailure("libmongoc returned no collection handle for \(collection)")
        }
        defer { mongoc_collection_destroy(handle) }
        try MongoBSON.with(filter) { filterHandle in
            try MongoBSON.with(options) { optionsHandle in
                guard let cursor = mongoc_collection_find_with_opts(handle, filterHandle, optionsHandle, nil) else {
                    throw MongoStoreFailure("libmongoc returned no cursor")
                }
                defer { mongoc_cursor_destroy(cursor) }
                var current: OpaquePointer?
                while mongoc_cursor_next(cursor, &current) {
                    guard let current else { continue }
                    guard try each(try MongoBSON.document(current)) else { return }
                }
                var error = bson_error_t()
                var errorReply: OpaquePointer?
                if mongoc_cursor_error_document(cursor, &error, &errorReply) {
                    throw MongoError(error, reply: errorReply.flatMap { try? MongoBSON.document($0) })
                }
            }
        }
    }

    /// The outcome of an unordered insert: the documents the server took, and
    /// the per-document write errors it reported.
    struct InsertReply {
        var inserted: Int
        var writeErrors: [(index: Int, code: Int64, message: String)]
    }

    /// Inserts `documents` (complete BSON documents, `_id` first) with
    /// `ordered: false`: after a duplicate key the server goes on with the
    /// rest. libmongoc splits the batch by the server's maxWriteBatchSize and
    /// maxMessageSizeBytes and merges the replies.
    ///
    /// Returns the reply when the only errors are per-document write errors;
    /// throws `MongoError` for everything else (network, server selection,
    /// write concern, a rejected command), even if part of the batch was
    /// written.
    func insertMany(_ collection: String, documents: [[UInt8]], options: BSONDocument) throws -> InsertReply {
        guard let handle = mongoc_client_get_collection(client, database, collection) else {
            throw MongoStoreFailure("libmongoc returned no collection handle for \(collection)")
        }
        defer { mongoc_collection_destroy(handle) }
        var handles: [OpaquePointer?] = []
        handles.reserveCapacity(documents.count)
        defer { for document in handles { bson_destroy(document) } }
        for bytes in documents {
            guard let document = bytes.withUnsafeBufferPointer({ bson_new_from_data($0.baseAddress, $0.count) }) else {
                throw MongoStoreFailure("libbson refused a document of \(bytes.count) bytes")
            }
            handles.append(document)
        }
        let reply = BSONReply()
        var error = bson_error_t()
        let ok = try MongoBSON.with(options) { optionsHandle in
            handles.withUnsafeMutableBufferPointer { buffer in
                mongoc_collection_insert_many(handle, buffer.baseAddress, buffer.count, optionsHandle, reply.pointer, &error)
            }
        }
        let replyDocument = try? reply.document()
        if !ok && !Self.isWriteErrorOnly(error, reply: replyDocument) {
            throw MongoError(error, reply: replyDocument)
        }
        guard let replyDocument else { throw MongoStoreFailure("insert returned no reply") }
        var writeErrors: [(index: Int, code: Int64, message: String)] = []
        for element in replyDocument["writeErrors"]?.arrayValue ?? [] {
            guard let item = element.documentValue else { continue }
            writeErrors.append((
                index: Int(item["index"]?.integerValue ?? -1),
                code: item["code"]?.integerValue ?? 0,
                message: item["errmsg"]?.stringValue ?? ""
            ))
        }
        let inserted = Int(replyDocument["insertedCount"]?.integerValue ?? 0)
        return InsertReply(inserted: inserted, writeErrors: writeErrors)
    }

    /// What an update or a delete did: the documents it matched, changed or
    /// removed (libmongoc's `matchedCount`, `modifiedCount`, `deletedCount`).
    struct WriteReply {
        var matched: Int
        var modified: Int
        var deleted: Int
    }

    /// `update` of the first document matching `filter` (on a replica set
    /// libmongoc retries it once after a network error or failover as a
    /// retryable write, which the server answers from its record of the first
    /// attempt, so a conditional update is never applied twice). `update` is an
    /// update-operator document (`$set`). Throws `MongoError` for anything
    /// the server or libmongoc reports, write errors included (a duplicate
    /// key: code 11000).
    func updateOne(_ collection: String, filter: BSONDocument, update: BSONDocument, options: BSONDocument) throws -> WriteReply {
        try write(collection, filter: filter, update: update, options: options) { handle, filter, update, options, reply, error in
            mongoc_collection_update_one(handle, filter, update, options, reply, error)
        }
    }

    /// `update` with `multi: true` of every document matching `filter`.
    func updateMany(_ collection: String, filter: BSONDocument, update: BSONDocument, options: BSONDocument) throws -> WriteReply {
        try write(collection, filter: filter, update: update, options: options) { handle, filter, update, options, reply, error in
            mongoc_collection_update_many(handle, filter, update, options, reply, error)
        }
    }

    /// `delete` with `limit: 0` of every document matching `filter`.
    func deleteMany(_ collection: String, filter: BSONDocument, options: BSONDocument) throws -> WriteReply {
        try write(collection, filter: filter, update: nil, options: options) { handle, filter, _, options, reply, error in
            mongoc_collection_delete_many(handle, filter, options, reply, error)
        }
    }

    private func write(
        _ collection: String,
        filter: BSONDocument,
        update: BSONDocument?,
        options: BSONDocument,
        _ call: (OpaquePointer, OpaquePointer, OpaquePointer?, OpaquePointer, OpaquePointer, UnsafeMutablePointer<bson_error_t>) -> Bool
    ) throws -> WriteReply {
        guard let handle = mongoc_client_get_collection(client, database, collection) else {
            throw MongoStoreFailure("libmongoc returned no collection handle for \(collection)")
        }
        defer { mongoc_collection_destroy(handle) }
        let reply = BSONReply()
        var error = bson_error_t()
        let ok = try MongoBSON.with(filter) { filterHandle in
            try MongoBSON.with(options) { optionsHandle in
                if let update {
                    return try MongoBSON.with(update) { updateHandle in
                        call(handle, filterHandle, updateHandle, optionsHandle, reply.pointer, &error)
                    }
                }
                return call(handle, filterHandle, nil, optionsHandle, reply.pointer, &error)
            }
        }
        let replyDocument = try? reply.document()
        guard ok else { throw MongoError(error, reply: replyDocument) }
        guard let replyDocument else { throw MongoStoreFailure("\(update == nil ? "delete" : "update") on \(collection) returned no reply") }
        return WriteReply(
            matched: Int(replyDocument["matchedCount"]?.integerValue ?? 0),
            modified: Int(replyDocument["modifiedCount"]?.integerValue ?? 0),
            deleted: Int(replyDocument["deletedCount"]?.integerValue ?? 0)
        )
    }

    /// Whether a failed insert failed only through per-document write errors
    /// (the server took the batch and refused some documents). A network or
    /// selection error, a write-concern error or a command error is not.
    private static func isWriteErrorOnly(_ error: bson_error_t, reply: BSONDocument?) -> Bool {
        guard let reply, let writeErrors = reply["writeErrors"]?.arrayValue, !writeErrors.isEmpty else { return false }
        if let concernErrors = reply["writeConcernErrors"]?.arrayValue, !concernErrors.isEmpty { return false }
        let mongoError = MongoError(error, reply: reply)
        guard mongoError.domain != MONGOC_ERROR_STREAM.rawValue,
              mongoError.domain != MONGOC_ERROR_SERVER_SELECTION.rawValue,
              mongoError.domain != MONGOC_ERROR_PROTOCOL.rawValue,
              mongoError.domain != MONGOC_ERROR_WRITE_CONCERN.rawValue
        else { return false }
        // libmongoc reports the first write error as the call's error.
        let codes = Set(writeErrors.compactMap { $0.documentValue?["code"]?.integerValue })
        return codes.contains(Int64(error.code))
    }
}
