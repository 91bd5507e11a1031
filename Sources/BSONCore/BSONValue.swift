/// One BSON value, as a Swift enum.
///
/// It exists so that code outside `BSONCore` can build and read documents without
/// touching libbson's `bson_t`/`bson_iter_t`. Every BSON type is represented, the
/// deprecated ones included, so a document a producer sent can be decoded and
/// re-encoded without loss.
public indirect enum BSONValue: Sendable, Hashable {
    case double(Double)
    case string(String)
    case document(BSONDocument)
    case array([BSONValue])
    case binary(subtype: UInt8, data: [UInt8])
    case undefined
    case objectID(BSONObjectID)
    case bool(Bool)
    /// Milliseconds since the Unix epoch, UTC.
    case datetime(Int64)
    case null
    case regex(pattern: String, options: String)
    case dbPointer(collection: String, id: BSONObjectID)
    case javascript(String)
    case symbol(String)
    case javascriptWithScope(code: String, scope: BSONDocument)
    case int32(Int32)
    case timestamp(seconds: UInt32, increment: UInt32)
    case int64(Int64)
    case decimal128(BSONDecimal128)
    case minKey
    case maxKey
}

extension BSONValue {
    /// The BSON type name used in error messages and in the protocol's operation
    /// descriptions ("string", "int32", "datetime", ...).
    public var typeName: String {
        switch self {
        case .double: return "double"
        case .string: return "string"
        case .document: return "document"
        case .array: return "array"
        case .binary: return "binary"
        case .undefined: return "undefined"
        case .objectID: return "objectId"
        case .bool: return "bool"
        case .datetime: return "datetime"
        case .null: return "null"
        case .regex: return "regex"
        case .dbPointer: return "dbPointer"
        case .javascript: return "javascript"
        case .symbol: return "symbol"
        case .javascriptWithScope: return "javascriptWithScope"
        case .int32: return "int32"
        case .timestamp: return "timestamp"
        case .int64: return "int64"
        case .decimal128: return "decimal128"
        case .minKey: return "minKey"
        case .maxKey: return "maxKey"
        }
    }

    /// The name `typeName` gives values of the BSON type code `code`
    /// (for values read in place, `BSONElementView`).
    public static func typeName(code: UInt8) -> String {
        switch code {
        case 0x01: return "double"
        case 0x02: return "string"
        case 0x03: return "document"
        case 0x04: return "array"
        case 0x05: return "binary"
        case 0x06: return "undefined"
        case 0x07: return "objectId"
        case 0x08: return "bool"
        case 0x09: return "datetime"
        case 0x0A: return "null"
        case 0x0B: return "regex"
        case 0x0C: return "dbPointer"
        case 0x0D: return "javascript"
        case 0x0E: return "symbol"
        case 0x0F: return "javascriptWithScope"
        case 0x10: return "int32"
        case 0x11: return "timestamp"
        case 0x12: return "int64"
        case 0x13: return "decimal128"
        case 0xFF: return "minKey"
        case 0x7F: return "maxKey"
        default: return "unknown"
        }
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var documentValue: BSONDocument? {
        if case .document(let d) = self { return d }
        return nil
    }

    public var arrayValue: [BSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var doubleValue: Double? {
        if case .double(let d) = self { return d }
        return nil
    }

    /// The value of an `int32` or `int64` (never a double): integers are strict.
    public var integerValue: Int64? {
        switch self {
        case .int32(let v): return Int64(v)
        case .int64(let v): return v
        default: return nil
        }
    }

    /// Milliseconds since the epoch of a BSON UTC datetime.
    public var datetimeValue: Int64? {
        if case .datetime(let ms) = self { return ms }
        return nil
    }

    /// A number of any numeric BSON type as a `Double` (int32, int64, double).
    public var numericValue: Double? {
        switch self {
        case .double(let d): return d
        case .int32(let v): return Double(v)
        case .int64(let v): return Double(v)
        default: return nil
        }
    }
}

extension BSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension BSONValue: ExpressibleByIntegerLiteral {
    /// Integer literals become `int32` when they fit, `int64` otherwise, as most
    /// BSON libraries encode native integers.
    public init(integerLiteral value: Int64) {
        if let small = Int32(exactly: value) { self = .int32(small) } else { self = .int64(value) }
    }
}

extension BSONValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension BSONValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension BSONValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: BSONValue...) { self = .array(elements) }
}

extension BSONValue: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, BSONValue)...) {
        self = .document(BSONDocument(elements))
    }
}

extension BSONValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}
