import Auth
import BSONCore
import WireProtocol

/// How auth failures read on the wire: one code per case.
extension AuthError: WireErrorConvertible {
    public var wireError: WireError {
        switch self {
        case .invalidCredentials:
            return WireError(.unauthenticated, "invalid email or password")
        case .emailTaken:
            return WireError(.conflict, "a user with this email is already registered")
        case .tokenInvalid(let reason):
            return WireError(.tokenInvalid, "invalid token: \(reason)")
        case .tokenExpired(let reason):
            return WireError(.tokenExpired, reason)
        case .tokenRevoked(let reason):
            return WireError(.tokenRevoked, reason)
        case .rateLimited(let wait):
            return WireError(.rateLimited, "too many failed logins; retry in \(max(1, (wait + 999) / 1000)) s", details: ["retry_after_ms": .int64(wait)])
        case .busy(let reason):
            return WireError(.resourceExhausted, reason)
        case .unavailable(let reason):
            return WireError(.unavailable, reason)
        }
    }
}
