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
public struct AccessClaims: Sendable, Equatable {
    public var subject: String
    public var userID: String
    public var email: String
    public var issuedAt: Int64
    public var notBefore: Int64?
    public var expiresAt: Int64
    public var tokenID: String
    public var issuer: String
    /// `aud`: written as one string when it names one audience, as an array otherwise.
    public var audience: [String]
    public var type: String
    public var sessionID: String

    public static let accessType = "access"

    public init(
        subject: String, userID: String, email: String, issuedAt: Int64, notBefore: Int64? = nil, expiresAt: Int64,
        tokenID: String, issuer: String, audience: [String], type: String, sessionID: String
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

    /// Reads the claims of a token whose signature checked, with the types of
    /// PROTOCOL.md §14.3.2 and nothing looser: every string claim a JSON
    /// string, `aud` a string or an array of strings, `iat` and `exp` (and
    /// `nbf` when present) JSON integers — `1.0`, `1e3`, `"1"` or a number
    /// outside `Int64` are refused. Claims this server does not know are
    /// ignored (the claims may grow). The reason names the claim, never its value.
    init(strict json: StrictJSON) throws(AuthError) {
        guard case .object = json else { throw .tokenInvalid("the claims are not a JSON object") }
        func string(_ name: String) throws(AuthError) -> String {
            guard let value = json[name] else { throw .tokenInvalid("claim '\(name)' is missing") }
            guard case .string(let text) = value else { throw .tokenInvalid("claim '\(name)' is \(value.typeName), not a string") }
            return text
        }
        func integer(_ name: String) throws(AuthError) -> Int64? {
            guard let value = json[name] else { return nil }
            guard case .integer(let number) = value else {
                throw .tokenInvalid("claim '\(name)' is \(value.typeName), not an integer (seconds since the epoch)")
            }
            return number
        }
        let audience: [String]
        switch json["aud"] {
        case .string(let single)?:
            audience = [single]
        case .array(let values)?:
            var names: [String] = []
            for value in values {
                guard case .string(let name) = value else { throw .tokenInvalid("claim 'aud' holds \(value.typeName), not only strings") }
                names.append(name)
            }
            audience = names
        case let other?:
            throw .tokenInvalid("claim 'aud' is \(other.typeName), not a string or an array of strings")
        case nil:
            throw .tokenInvalid("claim 'aud' is missing")
        }
        guard let issuedAt = try integer("iat") else { throw .tokenInvalid("claim 'iat' is missing") }
        guard let expiresAt = try integer("exp") else { throw .tokenInvalid("claim 'exp' is missing") }
        self.init(
            subject: try string("sub"), userID: try string("user_id"), email: try string("email"), issuedAt: issuedAt,
            notBefore: try integer("nbf"), expiresAt: expiresAt, tokenID: try string("jti"), issuer: try string("iss"),
            audience: audience, type: try string("typ"), sessionID: try string("sid")
        )
    }

}
