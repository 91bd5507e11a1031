/// The closed list of error codes a reply can carry.
///
/// Programs switch on these; `message` is for people. The list and each code's
/// meaning are fixed by `proto-spec/PROTOCOL.md`: a new code is a protocol
/// version change, so clients can rely on handling every case.
public enum ErrorCode: String, Sendable, CaseIterable, Hashable {
    /// The byte stream is not a sequence of valid BSON documents; the server
    /// replies once (without `id`) and closes the connection.
    case badFrame = "BAD_FRAME"
    /// A valid document that is not a valid request envelope.
    case badRequest = "BAD_REQUEST"
    /// `op` names no operation this server has.
    case unknownOp = "UNKNOWN_OP"
    /// An argument is missing, of the wrong type, or out of range.
    case invalidArgument = "INVALID_ARGUMENT"
    /// The requested record does not exist.
    case notFound = "NOT_FOUND"
    /// The write conflicts with existing data (e.g. an email already registered).
    case conflict = "CONFLICT"
    /// Credentials are missing or wrong.
    case unauthenticated = "UNAUTHENTICATED"
    /// The token was valid but has expired.
    case tokenExpired = "TOKEN_EXPIRED"
    /// The token is malformed, forged, of the wrong kind, or signed by an unknown key.
    case tokenInvalid = "TOKEN_INVALID"
    /// The token's session was logged out or revoked.
    case tokenRevoked = "TOKEN_REVOKED"
    /// The peer may not call this operation.
    case permissionDenied = "PERMISSION_DENIED"
    /// Too many attempts; `details.retry_after_ms` says when to try again.
    case rateLimited = "RATE_LIMITED"
    /// The store or the server is not available right now; retrying later may work.
    case unavailable = "UNAVAILABLE"
    /// The request's `deadline_ms` passed before it completed.
    case deadlineExceeded = "DEADLINE_EXCEEDED"
    /// A limit was reached (connections, in-flight requests, reply size).
    case resourceExhausted = "RESOURCE_EXHAUSTED"
    /// A bug or unexpected failure inside the server.
    case internalError = "INTERNAL"
}
