import Crypto
import Foundation
import JWTKit

/// What access tokens say and how long they live.
public struct TokenSettings: Sendable {
    /// `iss` of every token issued, and the only one accepted.
    public var issuer: String
    /// `aud` of every token issued; a token must name it to be accepted.
    public var audience: String
    /// Access-token lifetime in seconds (default 15 minutes).
    public var accessTokenLifetime: Int64
    /// Clock skew tolerated for `iat` and `nbf` in the future, in seconds.
    public var leeway: Int64

    public static let defaultIssuer = "deltastored"
    public static let defaultAudience = "deltastream"
    public static let defaultAccessTokenLifetime: Int64 = 15 * 60
    /// The only signing algorithm issued or accepted.
    public static let algorithm = "HS256"
    /// Longer strings are not tokens this server issued.
    public static let maximumTokenBytes = 8192
    /// Tokens remembered as verified (`VerifiedTokenCache`); 0 disables it.
    public var verifiedCacheCapacity: Int
    public static let defaultVerifiedCacheCapacity = 4096

    public init(
        issuer: String = defaultIssuer, audience: String = defaultAudience,
        accessTokenLifetime: Int64 = defaultAccessTokenLifetime, leeway: Int64 = 30,
        verifiedCacheCapacity: Int = defaultVerifiedCacheCapacity
    ) {
        self.issuer = issuer
        self.audience = audience
        self.accessTokenLifetime = accessTokenLifetime
        self.leeway = leeway
        self.verifiedCacheCapacity = verifiedCacheCapacity
    }
}

/// A freshly signed access token.
public struct IssuedAccessToken: Sendable {
    public let token: String
    public let claims: AccessClaims
    public let kid: String
    /// `exp` in milliseconds since the epoch (for BSON datetimes).
    public var expiresAtMilliseconds: Int64 { claims.expiresAt.saturatingMultiply(1000) }
}

/// An access token that passed every check (revocation is the session
/// service's business, see `SessionService.verify`).
public struct VerifiedAccessToken: Sendable, Equatable {
    public let userID: String
    public let email: String
    /// The session family (`sid`).
    public let sessionID: String
    public let tokenID: String
    public let kid: String
    public let expiresAtMilliseconds: Int64
}

/// Signs access tokens (JWS compact, HS256) with the key ring through jwt-kit,
/// and verifies them here, synchronously, with swift-crypto's HMAC.
///
/// Verification is on the hot path of every gateway request, so it runs
/// inline on the caller's thread (no task, no thread hop) and decodes the
/// header and the claims once each; it touches no store and no lock other
/// than the key-ring snapshot's.
///
/// Verification follows RFC 8725. Before any key is used the token must be
/// three non-empty base64url parts (no padding, at most 8 KiB) and its header
/// must be a JSON object saying `alg: "HS256"` (an explicit allowlist: `none`,
/// HS384, RS256 and everything else are refused), `typ: "JWT"` exactly, no
/// `crit`, and a `kid` that is in the ring. The HMAC-SHA256 of
/// `header.claims` under that key is then compared with the signature (in
/// constant time) and only then are the claims read (`StrictJSON`, with the
/// types of PROTOCOL.md §14.3.2: `iat`, `exp`, `nbf` JSON integers) and
/// checked: `typ` is `access`, `iss` and `aud` match, `sub` equals `user_id`,
/// `iat` and `nbf` are not in the future (beyond `leeway`), the lifetime
/// `exp - iat` is positive and no longer than this server issues (plus
/// `leeway`), and `exp` has not passed. The times may be any `Int64`: every
/// sum and difference of them saturates, so none can trap.
///
/// Every failure is `AuthError.tokenInvalid` except a passed `exp`
/// (`tokenExpired`).
///
/// A token that passed is remembered (`VerifiedTokenCache`, keyed by the
/// whole token and the key-ring generation): presented again, only its times
/// are checked again.
public final class TokenService: Sendable {
    public let keyRing: KeyRing
    public let settings: TokenSettings
    private let clock: AuthClock
    private let verified: VerifiedTokenCache

    public init(keyRing: KeyRing, settings: TokenSettings = TokenSettings(), clock: AuthClock = .system) {
        self.keyRing = keyRing
        self.settings = settings
        self.clock = clock
        self.verified = VerifiedTokenCache(capacity: settings.verifiedCacheCapacity)
    }

    /// Tokens remembered as verified now.
    public var verifiedCacheCount: Int { verified.count }

    /// Signs a new access token with the newest key.
    public func issue(userID: String, email: String, sessionID: String) async throws -> IssuedAccessToken {
        let now = clock.nowSeconds
        let claims = AccessClaims(
            subject: userID, userID: userID, email: email, issuedAt: now, expiresAt: now.saturatingAdd(settings.accessTokenLifetime),
            tokenID: Base64URL.encode(SecureRandom.bytes(16)), issuer: settings.issuer,
            audience: AudienceClaim(value: [settings.audience]), type: AccessClaims.accessType, sessionID: sessionID
        )
        let snapshot = keyRing.snapshot
        let kid = snapshot.signingKey.kid
        var header = JWTHeader()
        header.alg = TokenSettings.algorithm
        header.typ = "JWT"
        let token = try await snapshot.collection.sign(claims, kid: JWKIdentifier(string: kid), header: header)
        return IssuedAccessToken(token: token, claims: claims, kid: kid)
    }

    /// Checks `token` as described above. Synchronous and cheap (two small
    /// JSON decodes and one HMAC): callers may run it on an event loop.
    public func verify(_ token: String) throws(AuthError) -> VerifiedAccessToken {
        let now = clock.nowSeconds
        let snapshot = keyRing.snapshot
        if let entry = verified.lookup(token, generation: snapshot.generation, now: now) {
            try checkTimes(issuedAt: entry.issuedAt, notBefore: entry.notBefore, expiresAt: entry.expiresAt, now: now)
            return entry.verified
        }
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
        guard case .string(let algorithm)? = header["alg"], algorithm == TokenSettings.algorithm else {
            throw .tokenInvalid("algorithm \(Self.quoted(header["alg"])) is not accepted (only \(TokenSettings.algorithm))")
        }
        guard case .string("JWT")? = header["typ"] else { throw .tokenInvalid("header typ \(Self.quoted(header["typ"])) is not exactly JWT") }
        guard header["crit"] == nil else { throw .tokenInvalid("critical header extensions are not supported") }
        guard case .string(let kid)? = header["kid"] else { throw .tokenInvalid("no key id (kid) string in the header") }
        guard !parts[2].isEmpty else { throw .tokenInvalid("unsigned token (no signature)") }
        guard let key = snapshot.verificationKey(kid: kid) else {
            throw .tokenInvalid("signed with an unknown key \(Self.quoted(kid))")
        }
        guard let signature = Base64URL.decode(bytes: parts[2]), signature.count == SHA256.byteCount else {
            throw .tokenInvalid("bad signature")
        }
        // The signing input is everything before the second '.': header and claims as sent.
        let signingInput = bytes[bytes.startIndex..<(parts[2].startIndex - 1)]
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: key) else {
            throw .tokenInvalid("bad signature")
        }
        guard let claimsJSON = Base64URL.decode(bytes: parts[1]), let claimsObject = try? StrictJSON.parse(claimsJSON) else {
            throw .tokenInvalid("malformed claims (not a JSON text)")
        }
        let claims = try AccessClaims(strict: claimsObject)

        guard claims.type == AccessClaims.accessType else { throw .tokenInvalid("not an access token (typ \(Self.quoted(claims.type)))") }
        guard claims.issuer == settings.issuer else { throw .tokenInvalid("issued by \(Self.quoted(claims.issuer)), not \(settings.issuer)") }
        guard claims.audience.value.contains(settings.audience) else { throw .tokenInvalid("not issued for \(settings.audience)") }
        guard !claims.userID.isEmpty, claims.subject == claims.userID, !claims.sessionID.isEmpty else {
            throw .tokenInvalid("inconsistent subject claims")
        }
        let lifetime = claims.expiresAt.saturatingSubtract(claims.issuedAt)
        guard lifetime > 0, lifetime <= settings.accessTokenLifetime.saturatingAdd(settings.leeway) else {
            throw .tokenInvalid("a lifetime (exp - iat) of \(lifetime == .max || lifetime == .min ? "beyond 2^63" : "\(lifetime)") s is not one this server issues")
        }
        try checkTimes(issuedAt: claims.issuedAt, notBefore: claims.notBefore, expiresAt: claims.expiresAt, now: now)
        let result = VerifiedAccessToken(
            userID: claims.userID, email: claims.email, sessionID: claims.sessionID, tokenID: claims.tokenID, kid: kid,
            expiresAtMilliseconds: claims.expiresAt.saturatingMultiply(1000)
        )
        verified.insert(
            token,
            .init(verified: result, issuedAt: claims.issuedAt, notBefore: claims.notBefore, expiresAt: claims.expiresAt, generation: snapshot.generation)
        )
        return result
    }

    /// The rules that depend on the time: checked on every verify, cached or not.
    private func checkTimes(issuedAt: Int64, notBefore: Int64?, expiresAt: Int64, now: Int64) throws(AuthError) {
        let horizon = now.saturatingAdd(settings.leeway)
        guard issuedAt <= horizon else { throw .tokenInvalid("issued in the future") }
        if let notBefore, notBefore > horizon { throw .tokenInvalid("not valid yet (nbf)") }
        guard now < expiresAt else { throw .tokenExpired("the access token expired; refresh it") }
    }

    /// A client-supplied header value for an error message: short, printable, quoted.
    private static func quoted(_ json: StrictJSON?) -> String {
        guard let json else { return "(none)" }
        guard case .string(let value) = json else { return "(\(json.typeName))" }
        return quoted(value)
    }

    private static func quoted(_ value: String) -> String {
        let clean = value.unicodeScalars.prefix(32).map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" }
        return "'" + String(clean) + (value.unicodeScalars.count > 32 ? "…" : "") + "'"
    }
}

extension TokenService {
    /// `verify`'s answer for a token it verified and remembered before, read
    /// from the token's UTF-8 bytes where they are (the request's argument in
    /// the server's input buffer): nil for any other token — not cached,
    /// cached under an older key ring, or failing a time rule now — and
    /// `verify` then decides. Allocates nothing.
    public func verifyCached(_ token: UnsafeRawBufferPointer) -> VerifiedAccessToken? {
        let now = clock.nowSeconds
        guard let entry = verified.lookup(bytes: token, generation: keyRing.snapshot.generation, now: now) else { return nil }
        guard (try? checkTimes(issuedAt: entry.issuedAt, notBefore: entry.notBefore, expiresAt: entry.expiresAt, now: now)) != nil else { return nil }
        return entry.verified
    }
}
