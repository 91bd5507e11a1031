import CMongoC
import Domain
import NIOConcurrencyHelpers

/// The store's one `mongoc_client_pool_t`, and the parsed URI it was made from.
///
/// libmongoc's pool is thread-safe: any thread may pop a client, and a popped
/// client is used by that one thread until it is pushed back. `withClient`
/// enforces exactly that — the client never leaves the closure, which runs on
/// one thread-pool thread — and counts the clients out, so that `close()` can
/// wait for them before destroying the pool. That bookkeeping is guarded by
/// `outstanding`'s lock, which is why this class is `@unchecked Sendable`: the
/// handles themselves are only touched through libmongoc's thread-safe pool
/// functions or after every client came back.
final class MongoClientPool: @unchecked Sendable {
    private let pool: OpaquePointer
    private let uri: OpaquePointer
    /// The database named by the URI's path, or `deltastream`.
    let databaseName: String
    /// Locked around the bookkeeping below; its condition value is the
    /// number of clients out (0 wakes `close()`).
    private let outstanding = ConditionLock(value: 0)
    /// The following are read and written only while `outstanding` is locked.
    private var clientsOut = 0
    private var closed = false
    private var destroyed = false

    static let defaultDatabase = "deltastream"
    /// Used when the URI sets no `serverSelectionTimeoutMS` (libmongoc's own
    /// default is 30 s): an outage then surfaces to clients within 5 s.
    static let defaultServerSelectionTimeoutMS: Int32 = 3_000
    /// Used when the URI sets no `connectTimeoutMS` (libmongoc: 10 s), which
    /// also bounds each monitoring check.
    static let defaultConnectTimeoutMS: Int32 = 3_000
    /// Used when the URI sets no `socketTimeoutMS` (libmongoc: 5 minutes): no
    /// call waits on a silent server for longer than this.
    static let defaultSocketTimeoutMS: Int32 = 30_000

    /// Parses `uriText` and creates the pool. Throws `StoreError.failure` for
    /// a URI libmongoc refuses. Does not connect: libmongoc connects lazily
    /// and its monitor threads start with the first `pop`.
    init(uri uriText: String) throws {
        var error = bson_error_t()
        guard let uri = mongoc_uri_new_with_error(uriText, &error) else {
            throw StoreError.failure("the MongoDB URI is not valid: \(MongoError(error).message)")
        }
        for (option, value) in [
            (MONGOC_URI_SERVERSELECTIONTIMEOUTMS, Self.defaultServerSelectionTimeoutMS),
            (MONGOC_URI_CONNECTTIMEOUTMS, Self.defaultConnectTimeoutMS),
            (MONGOC_URI_SOCKETTIMEOUTMS, Self.defaultSocketTimeoutMS),
        ] where !mongoc_uri_has_option(uri, option) {
            _ = mongoc_uri_set_option_as_int32(uri, option, value)
        }
        if !mongoc_uri_has_option(uri, MONGOC_URI_APPNAME) {
            _ = mongoc_uri_set_appname(uri, "deltastored")
        }
        let database = mongoc_uri_get_database(uri).map { String(cString: $0) } ?? ""
        guard let pool = mongoc_client_pool_new_with_error(uri, &error) else {
            mongoc_uri_destroy(uri)
            throw StoreError.failure("cannot create the MongoDB client pool: \(MongoError(error).message)")
        }
        // Server errors in their own domain (MONGOC_ERROR_SERVER), as the
        // error mapping expects.
        _ = mongoc_client_pool_set_error_api(pool, Int32(MONGOC_ERROR_API_VERSION_2))
        self.uri = uri
        self.pool = pool
        self.databaseName = database.isEmpty ? Self.defaultDatabase : database
    }

    /// What the URI says about the write concern (`w`, `wtimeoutMS`), which
    /// libmongoc keeps apart from the other options.
    var uriWriteConcern: (setsW: Bool, timeoutMS: Int64) {
        guard let concern = mongoc_uri_get_write_concern(uri) else { return (false, 0) }
        let w = mongoc_write_concern_get_w(concern)
        let setsW = w != MONGOC_WRITE_CONCERN_W_DEFAULT || mongoc_write_concern_get_wtag(concern) != nil
        return (setsW, mongoc_write_concern_get_wtimeout_int64(concern))
    }

    /// Runs `body` with a client popped from the pool, on the calling thread
    /// (a thread-pool thread). Throws `StoreError.unavailable` once closed.
    func withClient<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        outstanding.lock()
        if closed {
            outstanding.unlock()
            throw StoreError.unavailable("the store is closed")
        }
        clientsOut += 1
        outstanding.unlock(withValue: clientsOut)
        defer {
            outstanding.lock()
            clientsOut -= 1
            outstanding.unlock(withValue: clientsOut)
        }
        // Blocks only when maxPoolSize clients are out (URI option, default 100).
        guard let client = mongoc_client_pool_pop(pool) else {
            throw StoreError.failure("the MongoDB client pool returned no client")
        }
        defer { mongoc_client_pool_push(pool, client) }
        return try body(client)
    }

    /// Refuses new work, waits for the clients out to come back, then destroys
    /// the pool (ending libmongoc's monitor threads and its sessions) and the
    /// URI. Idempotent. Blocks: call it on a thread-pool thread.
    func close() {
        outstanding.lock()
        closed = true
        outstanding.unlock()
        outstanding.lock(whenValue: 0)
        defer { outstanding.unlock() }
        guard !destroyed else { return }
        destroyed = true
        mongoc_client_pool_destroy(pool)
        mongoc_uri_destroy(uri)
    }

    deinit {
        // Normally closed already; a store dropped without `close()` must not
        // leak the pool's monitor threads.
        if !destroyed {
            mongoc_client_pool_destroy(pool)
            mongoc_uri_destroy(uri)
        }
    }
}
