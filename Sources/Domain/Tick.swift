import BSONCore

/// An underlying's price tick, as the enricher writes it:
/// `{product, price, timestamp, tick_id?, …extra}`.
///
/// The whole document is kept (`document`) and comes back exactly as sent; the
/// fields the store indexes or checks are also held typed.
public struct Tick: Sendable, Equatable {
    public let product: String
    public let price: Double
    /// Milliseconds since the epoch, UTC.
    public let timestamp: Int64
    /// The producer's id for idempotent retries: a string or an integer.
    public let tickID: IdempotencyKey?
    public let document: BSONDocument

    /// Validates a producer's document.
    public init(document: BSONDocument) throws(FieldError) {
        try FieldRules.storableKeys(document)
        product = try FieldRules.name(document["product"], field: "product")
        price = try FieldRules.positiveNumber(document["price"], field: "price")
        timestamp = try FieldRules.datetime(document["timestamp"], field: "timestamp")
        tickID = try document["tick_id"].map { value throws(FieldError) in try IdempotencyKey(value, field: "tick_id") }
        self.document = document
    }

    /// A stored tick, trusted (it was validated when written).
    public init(stored document: BSONDocument, product: String, price: Double, timestamp: Int64) {
        self.product = product
        self.price = price
        self.timestamp = timestamp
        self.tickID = document["tick_id"].flatMap { try? IdempotencyKey($0, field: "tick_id") }
        self.document = document
    }
}

/// A producer-chosen identifier that makes a retried insert a no-op: a string
/// (1 to 128 bytes) or an int32/int64. `"5"` and `5` are different keys.
public struct IdempotencyKey: Sendable, Hashable {
    /// Type-tagged text (`s:…` or `i:…`), the form stores index.
    public let storageKey: String

    public init(_ value: BSONValue, field: String) throws(FieldError) {
        switch value {
        case .string(let s):
            guard (1...128).contains(s.utf8.count) else { throw FieldError(field, "must be 1 to 128 bytes") }
            storageKey = "s:" + s
        case .int32(let v):
            storageKey = "i:" + String(v)
        case .int64(let v):
            storageKey = "i:" + String(v)
        default:
            throw FieldError(field, "must be a string or an integer, got \(value.typeName)")
        }
    }
}
