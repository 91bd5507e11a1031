import BSONCore
import Domain
import WireProtocol

/// How the domain's errors read on the wire.
extension FieldError: WireErrorConvertible {
    public var wireError: WireError { .invalidArgument(field: field, reason: reason) }
}

extension StoreError: WireErrorConvertible {
    public var wireError: WireError {
        switch self {
        case .unavailable(let reason): return WireError(.unavailable, "store unavailable: \(reason)")
        case .conflict(let reason): return WireError(.conflict, reason)
        case .failure: return WireError(.internalError, "the store failed; see the daemon's log")
        }
    }
}

/// A validation failure of one item of a batch: INVALID_ARGUMENT with
/// `details: {index, field, reason}` and nothing written.
struct BatchItemError: Error, WireErrorConvertible {
    var batchField: String
    var index: Int
    var error: FieldError

    var wireError: WireError {
        WireError(
            .invalidArgument,
            "\(batchField)[\(index)].\(error.field): \(error.reason)",
            details: ["index": .int32(Int32(clamping: index)), "field": .string(error.field), "reason": .string(error.reason)]
        )
    }
}
