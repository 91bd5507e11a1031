import BSONCore
import CMongoC
import Domain

/// Moving documents between `BSONDocument` and libbson's `bson_t`, the only
/// form libmongoc takes and gives.
///
/// Every `bson_t` made here lives inside one call on one thread-pool thread
/// and is destroyed before the call returns; none escapes into Swift values.
enum MongoBSON {
    /// Runs `body` with a heap `bson_t` holding a copy of `document`.
    static func with<R>(_ document: BSONDocument, _ body: (OpaquePointer) throws -> R) throws -> R {
        try with(bytes: document.bytes, body)
    }

    /// Runs `body` with a heap `bson_t` holding a copy of `bytes` (a complete,
    /// well-formed document).
    static func with<R>(bytes: [UInt8], _ body: (OpaquePointer) throws -> R) throws -> R {
        let handle = bytes.withUnsafeBufferPointer { bson_new_from_data($0.baseAddress, $0.count) }
        guard let handle else { throw MongoStoreFailure("libbson refused a document of \(bytes.count) bytes") }
        defer { bson_destroy(handle) }
        return try body(handle)
    }

    /// Copies a `bson_t` that libmongoc handed out into an owned, validated
    /// document. libmongoc already validated the bytes it received from the
    /// server; validating again keeps the project's rule that no unchecked
    /// bytes become a `BSONDocument`.
    static func document(_ handle: OpaquePointer) throws -> BSONDocument {
        guard let data = bson_get_data(handle) else { return BSONDocument() }
        // A document starts with its own little-endian int32 length (`bson_t`
        // is imported as an opaque pointer, so its `len` field is not visible).
        let length = Int(UInt32(data[0]) | UInt32(data[1]) << 8 | UInt32(data[2]) << 16 | UInt32(data[3]) << 24)
        let bytes = Array(UnsafeBufferPointer(start: data, count: length))
        do {
            return try BSONDocument(validating: bytes)
        } catch {
            throw MongoStoreFailure("MongoDB returned a malformed document: \(error)")
        }
    }
}

/// Storage for one `bson_t` that libmongoc fills in (a command's `reply`).
///
/// `bson_t` is a 128-byte, 128-aligned struct that Swift cannot declare on
/// the stack (it imports as an opaque pointer), so it is allocated here,
/// initialised empty with `bson_init` (libmongoc re-initialises it, which is
/// harmless for an inline, static `bson_t`), and destroyed and freed by
/// `deinit`. Confined to the thread that made it.
final class BSONReply {
    private let storage: UnsafeMutableRawPointer
    let pointer: OpaquePointer

    init() {
        storage = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 128)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: 128)
        pointer = OpaquePointer(storage)
        bson_init(pointer)
    }

    deinit {
        bson_destroy(pointer)
        storage.deallocate()
    }

    func document() throws -> BSONDocument {
        try MongoBSON.document(pointer)
    }
}

/// An unexpected condition inside the MongoDB store (not a server error):
/// becomes `StoreError.failure`.
struct MongoStoreFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
