import BSONCore

/// An error reply's payload: a code from the fixed list, a message for people,
/// and optional machine-readable details (e.g. `{field, reason}`).
///
/// Handlers throw it; the connection turns it into
/// `{id, ok: false, error: {code, message, details?}}`.
public struct WireError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    public var details: BSONDocument?

    public init(_ code: ErrorCode, _ message: String, details: BSONDocument? = nil) {
        self.code = code
        self.message = message
        self.details = details
    }

    /// INVALID_ARGUMENT naming the offending field, the form every argument check uses.
    public static func invalidArgument(field: String, reason: String) -> WireError {
        WireError(.invalidArgument, "\(field): \(reason)", details: ["field": .string(field), "reason": .string(reason)])
    }

    /// The `error` sub-document of a reply.
    public var document: BSONDocument {
        var pairs: [(String, BSONValue)] = [("code", .string(code.rawValue)), ("message", .string(message))]
        if let details { pairs.append(("details", .document(details))) }
        return BSONDocument(pairs)
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
