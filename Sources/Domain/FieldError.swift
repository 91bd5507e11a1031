/// A record or query field that broke a rule: which field, and why.
///
/// Validation throws it; the protocol layer turns it into INVALID_ARGUMENT
/// with `details: {field, reason}` (and `index` for an item of a batch).
public struct FieldError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field's path, e.g. `price` or `calls.3.strike`.
    public var field: String
    public var reason: String

    public init(_ field: String, _ reason: String) {
        self.field = field
        self.reason = reason
    }

    /// The same error one level down: `prefix.field`.
    public func nested(under prefix: String) -> FieldError {
        FieldError(prefix + "." + field, reason)
    }

    public var description: String { "\(field): \(reason)" }
}

/// Failures of a store, in terms the protocol can map to a code.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The store cannot be reached or is shutting down; retrying later may work.
    case unavailable(String)
    /// A uniqueness rule was broken (e.g. an email already registered).
    case conflict(String)
    /// The store reported something unexpected; logged by the daemon.
    case failure(String)

    public var description: String {
        switch self {
        case .unavailable(let s): return "store unavailable: \(s)"
        case .conflict(let s): return "conflict: \(s)"
        case .failure(let s): return "store failure: \(s)"
        }
    }
}
