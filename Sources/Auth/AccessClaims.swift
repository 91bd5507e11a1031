import JWTKit

/// The claims of an access token.
///
/// ```
/// {"sub": "<user id>", "user_id": "<user id>", "email": "ana@example.com",
///  "iat": 1709284500, "exp": 1709285400, "jti": "<random>",
///  "iss": "deltastored", "aud": "deltastream", "typ": "access",
///  "sid": "<session family id>"}
/// ```
/// `sub` and `user_id` are the same (`user_id`, `email`, `iat` and `exp` are
/// what DeltaStream's tokens carried); `typ` tells an access token from
/// anything else; `sid` names the login session (the refresh-token family)
/// that logout revokes. `nbf` is never issued but is honoured when present.
/// Times are whole seconds since the Unix epoch.
public struct AccessClaims: JWTPayload, Equatable {
    public var subject: String
    public var userID: String
    public var email: String
    public var issuedAt: Int64
    public var notBefore: Int64?
    public var expiresAt: Int64
    public var tokenID: String
    public var issuer: String
    public var audience: AudienceClaim
    public var type: String
    public var sessionID: String

    public static let accessType = "access"

    enum CodingKeys: String, CodingKey {
        case subject = "sub"
        case userID = "user_id"
        case email
        case issuedAt = "iat"
        case notBefore = "nbf"
        case expiresAt = "exp"
        case tokenID = "jti"
        case issuer = "iss"
        case audience = "aud"
        case type = "typ"
        case sessionID = "sid"
    }

    public init(
        subject: String, userID: String, email: String, issuedAt: Int64, notBefore: Int64? = nil, expiresAt: Int64,
        tokenID: String, issuer: String, audience: AudienceClaim, type: String, sessionID: String
    ) {
        self.subject = subject
        self.userID = userID
        self.email = email
        self.issuedAt = issuedAt
        self.notBefore = notBefore
        self.expiresAt = expiresAt
        self.tokenID = tokenID
        self.issuer = issuer
        self.audience = audience
        self.type = type
        self.sessionID = sessionID
    }

    /// Intentionally empty: jwt-kit calls this after checking the signature,
    /// but the claims are checked by `TokenService.verify` against its
    /// injectable clock and configuration, with one error code per failure.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}
