import Crypto

/// The one JWT codec of the daemon: JWS compact serialization with HS256
/// (RFC 7515, RFC 7518 §3.2), both ways.
///
/// Written here rather than taken from jwt-kit because verification must be
/// synchronous (it runs inline on an event loop for every gateway request)
/// and stricter than a general JWT library: RFC 8725's explicit algorithm
/// allowlist, `typ` exactly `JWT`, no `crit`, canonical unpadded base64url,
/// one key chosen by `kid` and never a fallback key, and claims read with
/// the types PROTOCOL.md §14.3.2 gives (`StrictJSON`: `1.0` or `1e3` is not
/// an integer). Signing the same format is a few lines more, and a token is
/// then made and read by the same rules; the test suite checks it against
/// jwt-kit, an independent implementation.
///
/// The codec checks the form and the signature only; what the claims must
/// say (issuer, audience, lifetime, times) is `TokenService`'s business.
enum AccessTokenCodec {
    /// The only signing algorithm written or accepted.
    static let algorithm = "HS256"

    /// `header.claims.signature`, the header naming `kid`, signed with `secret`.
    static func encode(_ claims: AccessClaims, kid: String, secret: SymmetricKey) -> String {
        var header = JSONText()
        header.member("alg", algorithm)
        header.member("kid", kid)
        header.member("typ", "JWT")
        var body = JSONText()
        body.member("sub", claims.subject)
        body.member("user_id", claims.userID)
        body.member("email", claims.email)
        body.member("iat", claims.issuedAt)
        if let notBefore = claims.notBefore { body.member("nbf", notBefore) }
        body.member("exp", claims.expiresAt)
        body.member("jti", claims.tokenID)
        body.member("iss", claims.issuer)
        if claims.audience.count == 1 { body.member("aud", claims.audience[0]) } else { body.member("aud", claims.audience) }
        body.member("typ", claims.type)
        body.member("sid", claims.sessionID)
        let signingInput = Base64URL.encode(header.finished()) + "." + Base64URL.encode(body.finished())
        let signature = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: secret)
        return signingInput + "." + Base64URL.encode(Array(signature))
    }

    /// A token whose form and signature checked: the `kid` it named and its
    /// claims, read strictly (`AccessClaims(strict:)`).
    struct Decoded {
        let kid: String
        let claims: AccessClaims
    }

    /// Checks `token`'s form, its header and its HMAC under the key `key(kid)`
    /// gives, in that order, and only then reads the claims. Every failure
    /// is `AuthError.tokenInvalid` with a reason that quotes no secret.
    static func decode(_ token: String, key: (String) -> SymmetricKey?) throws(AuthError) -> Decoded {
        let bytes = Array(token.utf8)
        guard !bytes.isEmpty else { throw .tokenInvalid("empty token") }
        guard bytes.count <= TokenSettings.maximumTokenBytes else {
            throw .tokenInvalid("longer than \(TokenSettings.maximumTokenBytes) bytes")
        }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            if parts.count == 1, RefreshToken.isWellFormed(token) {
                throw .tokenInvalid("a refresh token is not an access token")
            }
            throw .tokenInvalid("not a JWT: expected three parts separated by '.'")
        }
        guard parts.allSatisfy({ $0.allSatisfy(Base64URL.isAlphabet) }) else {
            throw .tokenInvalid("not base64url (only A-Z a-z 0-9 - _ and no padding)")
        }
        guard !parts[0].isEmpty, !parts[1].isEmpty else { throw .tokenInvalid("empty header or claims") }
        guard let headerJSON = Base64URL.decode(bytes: parts[0]), let header = try? StrictJSON.parse(headerJSON), case .object = header else {
            throw .tokenInvalid("the header is not a base64url JSON object")
        }
        guard case .string(let headerAlgorithm)? = header["alg"], headerAlgorithm == algorithm else {
            throw .tokenInvalid("algorithm \(quoted(header["alg"])) is not accepted (only \(algorithm))")
        }
        guard case .string("JWT")? = header["typ"] else { throw .tokenInvalid("header typ \(quoted(header["typ"])) is not exactly JWT") }
        guard header["crit"] == nil else { throw .tokenInvalid("critical header extensions are not supported") }
        guard case .string(let kid)? = header["kid"] else { throw .tokenInvalid("no key id (kid) string in the header") }
        guard !parts[2].isEmpty else { throw .tokenInvalid("unsigned token (no signature)") }
        guard let secret = key(kid) else { throw .tokenInvalid("signed with an unknown key \(quoted(kid))") }
        guard let signature = Base64URL.decode(bytes: parts[2]), signature.count == SHA256.byteCount else {
            throw .tokenInvalid("bad signature")
        }
        // The signing input is everything before the second '.': header and claims as sent.
        let signingInput = bytes[bytes.startIndex..<(parts[2].startIndex - 1)]
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: secret) else {
            throw .tokenInvalid("bad signature")
        }
        guard let claimsJSON = Base64URL.decode(bytes: parts[1]), let claimsObject = try? StrictJSON.parse(claimsJSON) else {
            throw .tokenInvalid("malformed claims (not a JSON text)")
        }
        return Decoded(kid: kid, claims: try AccessClaims(strict: claimsObject))
    }

    /// A client-supplied header value for an error message: short, printable, quoted.
    static func quoted(_ json: StrictJSON?) -> String {
        guard let json else { return "(none)" }
        guard case .string(let value) = json else { return "(\(json.typeName))" }
        return quoted(value)
    }

    static func quoted(_ value: String) -> String {
        let clean = value.unicodeScalars.prefix(32).map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" }
        return "'" + String(clean) + (value.unicodeScalars.count > 32 ? "…" : "") + "'"
    }
}
