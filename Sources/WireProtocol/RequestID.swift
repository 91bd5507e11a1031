import BSONCore

/// The client-chosen identifier that pairs a reply with its request.
///
/// Replies may come in any order, so a client matches them by this value; the
/// server echoes it exactly, with its BSON type (int32, int64 or string).
public enum RequestID: Sendable, Hashable, CustomStringConvertible {
    case int32(Int32)
    case int64(Int64)
    case string(String)

    /// The longest string id accepted, in UTF-8 bytes.
    public static let maxStringBytes = 256

    /// Reads an id from its BSON value; `nil` for any other type.
    public init?(_ value: BSONValue) {
        switch value {
        case .int32(let v): self = .int32(v)
        case .int64(let v): self = .int64(v)
        case .string(let s): self = .string(s)
        default: return nil
        }
    }

    public var bsonValue: BSONValue {
        switch self {
        case .int32(let v): return .int32(v)
        case .int64(let v): return .int64(v)
        case .string(let s): return .string(s)
        }
    }

    public var description: String {
        switch self {
        case .int32(let v): return String(v)
        case .int64(let v): return String(v)
        case .string(let s): return "\"\(s)\""
        }
    }
}
