/// Why bytes or text could not become a `BSONDocument`.
///
/// The wire protocol turns these into `BAD_FRAME` replies and the CLI into
/// readable messages, so each case says what was wrong in words a client author
/// can act on.
public enum BSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes are not a well-formed BSON document (bad length, bad element,
    /// missing terminator, invalid UTF-8, ...).
    case invalidDocument(String)
    /// Documents and arrays are nested deeper than the allowed depth.
    case tooDeep(limit: Int)
    /// Extended JSON text that libbson could not parse.
    case invalidExtendedJSON(String)

    public var description: String {
        switch self {
        case .invalidDocument(let reason): return "invalid BSON document: \(reason)"
        case .tooDeep(let limit): return "BSON document nested deeper than \(limit) levels"
        case .invalidExtendedJSON(let reason): return "invalid extended JSON: \(reason)"
        }
    }
}
