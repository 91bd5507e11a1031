import Crypto
import Foundation

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
    public static let algorithm = AccessTokenCodec.algorithm
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

/// Signs access tokens (JWS compact, HS256) with the key ring's newest key
/// and verifies them, synchronously, both through `AccessTokenCodec`.
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
    public func issue(userID: String, email: String, sessionID: String) -> IssuedAccessToken {
        let now = clock.nowSeconds
        let claims = AccessClaims(
            subject: userID, userID: userID, email: email, issuedAt: now, expiresAt: now.saturatingAdd(settings.accessTokenLifetime),
            tokenID: Base64URL.encode(SecureRandom.bytes(16)), issuer: settings.issuer,
            audience: [settings.audience], type: AccessClaims.accessType, sessionID: sessionID
        )
        let snapshot = keyRing.snapshot
        let kid = snapshot.signingKey.kid
        let token = AccessTokenCodec.encode(claims, kid: kid, secret: snapshot.signingSecret)
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
        let decoded = try AccessTokenCodec.decode(token, key: snapshot.verificationKey(kid:))
        let claims = decoded.claims
        let kid = decoded.kid

        guard claims.type == AccessClaims.accessType else { throw .tokenInvalid("not an access token (typ \(AccessTokenCodec.quoted(claims.type)))") }
        guard claims.issuer == settings.issuer else { throw .tokenInvalid("issued by \(AccessTokenCodec.quoted(claims.issuer)), not \(settings.issuer)") }
        guard claims.audience.contains(settings.audience) else { throw .tokenInvalid("not issued for \(settings.audience)") }
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
