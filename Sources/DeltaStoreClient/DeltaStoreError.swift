import BSONCore
import WireProtocol

/// What a call through the client can fail with: an error reply from the
/// server (with its protocol code), or a failure on the client's side.
///
/// Programs switch on `code`: for error replies it is the server's code; for
/// client-side failures it is the protocol code that means the same thing
/// (`.unavailable` for a lost connection, `.deadlineExceeded` for the client's
/// own timer, `.resourceExhausted` for a request over `max_message_bytes`), so
/// one `switch` handles both.
public enum DeltaStoreError: Error, Sendable, CustomStringConvertible {
    /// The server answered `ok: false`.
    case server(WireError)
    /// The connection could not be opened, or was closed before the reply came
    /// (the outcome of a request that was sent is then unknown).
    case connection(String)
    /// The server sent something that is not a reply envelope.
    case protocolViolation(String)
    /// No reply within the client-side timeout (the outcome is unknown; a late
    /// reply is discarded).
    case timedOut(String)
    /// The encoded request is larger than the server's `max_message_bytes`; it
    /// was not sent.
    case requestTooLarge(bytes: Int, limit: Int)

    /// The protocol error code: the server's for error replies, the equivalent
    /// code for client-side failures (see the type's documentation).
    public var code: ErrorCode? {
        switch self {
        case .server(let error): return error.code
        case .connection: return .unavailable
        case .protocolViolation: return .internalError
        case .timedOut: return .deadlineExceeded
        case .requestTooLarge: return .resourceExhausted
        }
    }

    /// The error's `details` document, for error replies that carry one.
    public var details: BSONDocument? {
        if case .server(let error) = self { return error.details }
        return nil
    }

    /// `details.field` of an `INVALID_ARGUMENT` reply: the offending argument or path.
    public var field: String? { details?["field"]?.stringValue }

    /// `details.index` of an `INVALID_ARGUMENT` reply about one item of a batch.
    public var index: Int? { details?["index"]?.integerValue.map(Int.init) }

    /// `details.retry_after_ms` of a `RATE_LIMITED` reply.
    public var retryAfterMilliseconds: Int64? { details?["retry_after_ms"]?.integerValue }

    /// True for a lost or refused connection (the request may be retried on a
    /// new connection if it is idempotent).
    public var isConnectionFailure: Bool {
        if case .connection = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .server(let error): return error.description
        case .connection(let reason): return "connection: \(reason)"
        case .protocolViolation(let reason): return "protocol violation: \(reason)"
        case .timedOut(let reason): return "timed out: \(reason)"
        case .requestTooLarge(let bytes, let limit): return "request of \(bytes) bytes exceeds max_message_bytes \(limit)"
        }
    }
}
