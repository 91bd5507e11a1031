/// How an auth operation failed, in terms the protocol maps to one code each
/// (`RequestDispatch/Auth/AuthErrorMapping.swift`). Argument errors are
/// `Domain.FieldError`; store errors pass through as `Domain.StoreError`.
///
/// No case ever carries a password or a token: the reasons are fixed texts
/// (plus, at most, a key id or an algorithm name the client itself sent).
public enum AuthError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Unknown email or wrong password: one case for both, on purpose (UNAUTHENTICATED).
    case invalidCredentials
    /// The email is registered already (CONFLICT).
    case emailTaken
    /// Malformed, forged, of the wrong kind or algorithm, or signed by an unknown key (TOKEN_INVALID).
    case tokenInvalid(String)
    /// Authentic but past its `exp` (TOKEN_EXPIRED).
    case tokenExpired(String)
    /// Its session was logged out or revoked (TOKEN_REVOKED).
    case tokenRevoked(String)
    /// Too many failed logins; try again after this long (RATE_LIMITED with `details.retry_after_ms`).
    case rateLimited(retryAfterMilliseconds: Int64)
    /// Too many password hashes queued (RESOURCE_EXHAUSTED).
    case busy(String)
    /// Hashing cannot run (the daemon is stopping) (UNAVAILABLE).
    case unavailable(String)

    public var description: String {
        switch self {
        case .invalidCredentials: return "invalid credentials"
        case .emailTaken: return "a user with this email is already registered"
        case .tokenInvalid(let reason): return "invalid token: \(reason)"
        case .tokenExpired(let reason): return "token expired: \(reason)"
        case .tokenRevoked(let reason): return "token revoked: \(reason)"
        case .rateLimited(let ms): return "too many failed logins; retry after \(ms) ms"
        case .busy(let reason): return reason
        case .unavailable(let reason): return reason
        }
    }
}
