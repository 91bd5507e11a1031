/// An owned, immutable, well-formed BSON document: its bytes, nothing else.
///
/// Every frame on the wire, every request and reply, and every stored record is a
/// `BSONDocument`. It owns its bytes (so it is `Sendable` and can cross threads),
/// and it is only ever made from bytes that were validated or from values encoded
/// by libbson, so code holding one may read it without further checks. Reading,
/// building, validation and extended JSON live in the extensions beside this file;
/// none of them exposes libbson's `bson_t` to the rest of the project.
public struct BSONDocument: Sendable, Hashable {
    /// The document's encoding: int32 length, elements, a terminating zero.
    public let bytes: [UInt8]

    /// The empty document `{}`.
    public init() {
        self.bytes = [5, 0, 0, 0, 0]
    }

    /// Wraps bytes already known to be a valid document (produced by libbson or
    /// validated before). Internal so that no unchecked bytes enter from outside.
    init(trustedBytes: [UInt8]) {
        self.bytes = trustedBytes
    }

    /// The size of the encoded document in bytes.
    public var byteCount: Int { bytes.count }

    /// True for `{}`.
    public var isEmpty: Bool { bytes.count <= 5 }
}

extension BSONDocument: ExpressibleByDictionaryLiteral {
    /// Builds a document from literal pairs, keeping their order: `["id": 1, "op": "ping"]`.
    public init(dictionaryLiteral elements: (String, BSONValue)...) {
        self.init(elements)
    }
}

extension BSONDocument: CustomStringConvertible {
    /// Relaxed extended JSON, for logs and test failures.
    public var description: String { relaxedExtendedJSON }
}
