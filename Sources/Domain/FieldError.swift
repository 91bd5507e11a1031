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
