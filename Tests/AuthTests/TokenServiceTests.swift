@testable import Auth
import Foundation
import Testing

/// Access tokens: what is issued, and every kind of bad token, forged here by
/// hand (`Forge`), gets its specific code.
@Suite("Tokens")
struct TokenServiceTests {
    let clock = ManualClock()
    let key = testKey("k1")

    func service(keys: [SigningKey]? = nil, lifetime: Int64 = 900) async -> TokenService {
        let ring = KeyRing(keys: keys ?? [key], logger: quietLogger)
        return TokenService(keyRing: ring, settings: TokenSettings(accessTokenLifetime: lifetime), clock: clock.clock)
    }

    func forged(header: [String: Any]? = nil, overrides: [String: Any] = [:], signature: Forge.Signature? = nil) -> String {
        Forge.token(
            header: header ?? Forge.header(),
            claims: Forge.claims(now: clock.nowSeconds, overrides: overrides),
            signature: signature ?? .hs256(key.secret)
        )
    }

    func code(_ tokens: TokenService, _ token: String) async -> String? {
        await authError { _ = try tokens.verify(token) }?.code
    }

    @Test func anIssuedTokenCarriesTheDocumentedClaimsAndVerifies() async throws {
        let tokens = await service()
        let issued = tokens.issue(userID: "65e1a0b2c3d4e5f6a7b80001", email: "ana@example.com", sessionID: "fam")
        let parts = issued.token.split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        let headerBytes = try #require(Base64URL.decode(parts[0]))
        let header = try JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any]
        #expect(header?["alg"] as? String == "HS256")
        #expect(header?["typ"] as? String == "JWT")
        #expect(header?["kid"] as? String == "k1")
        let claimBytes = try #require(Base64URL.decode(parts[1]))
        let claims = try #require(try JSONSerialization.jsonObject(with: Data(claimBytes)) as? [String: Any])
        #expect(Set(claims.keys) == ["sub", "user_id", "email", "iat", "exp", "jti", "iss", "aud", "typ", "sid"])
        #expect(claims["sub"] as? String == "65e1a0b2c3d4e5f6a7b80001")
        #expect(claims["user_id"] as? String == "65e1a0b2c3d4e5f6a7b80001")
        #expect(claims["email"] as? String == "ana@example.com")
        #expect(claims["iss"] as? String == "deltastored")
        #expect(claims["aud"] as? String == "deltastream")
        #expect(claims["typ"] as? String == "access")
        #expect(claims["sid"] as? String == "fam")
        #expect((claims["exp"] as? Int).map(Int64.init) == clock.nowSeconds + 900)
        #expect((claims["iat"] as? Int).map(Int64.init) == clock.nowSeconds)

        let verified = try tokens.verify(issued.token)
        #expect(verified.userID == "65e1a0b2c3d4e5f6a7b80001")
        #expect(verified.email == "ana@example.com")
        #expect(verified.sessionID == "fam")
        #expect(verified.expiresAtMilliseconds == (clock.nowSeconds + 900) * 1000)
        // Two tokens never share a jti.
        let again = tokens.issue(userID: "65e1a0b2c3d4e5f6a7b80001", email: "ana@example.com", sessionID: "fam")
        #expect(again.claims.tokenID != issued.claims.tokenID)
    }

    @Test func aCorrectlyForgedTokenVerifies() async throws {
        // The forge itself is right: the control case for every test below.
        let tokens = await service()
        let verified = try tokens.verify(forged())
        #expect(verified.sessionID == "family-1")
        // aud as an array naming us is accepted too (RFC 7519 allows both).
        _ = try tokens.verify(forged(overrides: ["aud": ["other", "deltastream"]]))
    }

    @Test func malformedTokensAreInvalid() async throws {
        let tokens = await service()
        let good = forged()
        let cases: [(String, String)] = [
            ("empty", ""),
            ("truncated in the signature", String(good.dropLast(5))),
            ("truncated to two parts", good.split(separator: ".").prefix(2).joined(separator: ".")),
            ("truncated in the header", String(good.prefix(10))),
            ("four parts", good + ".x"),
            ("not base64url: padding", good.replacingOccurrences(of: ".", with: "=.")),
            ("not base64url: standard alphabet", good.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "+/"),
            ("not base64url: spaces", " " + good),
            ("header not JSON", Forge.base64url(Data("not json".utf8)) + "." + good.split(separator: ".")[1] + "." + good.split(separator: ".")[2]),
            ("claims not JSON", good.split(separator: ".")[0] + "." + Forge.base64url(Data("{".utf8)) + "." + good.split(separator: ".")[2]),
            ("too long", good + String(repeating: "A", count: 9000)),
            ("a refresh token", RefreshToken.generate()),
        ]
        for (name, token) in cases {
            #expect(await code(tokens, token) == "TOKEN_INVALID", "\(name)")
        }
    }

    @Test func otherAlgorithmsAreRefusedBeforeAnyKeyIsUsed() async throws {
        let tokens = await service()
        let claims = Forge.claims(now: clock.nowSeconds)
        let cases: [(String, String)] = [
            ("alg none, no signature", Forge.token(header: Forge.header(alg: "none"), claims: claims, signature: .none)),
            ("alg none, with a signature", Forge.token(header: Forge.header(alg: "none"), claims: claims, signature: .hs256(key.secret))),
            ("alg None", Forge.token(header: Forge.header(alg: "None"), claims: claims, signature: .none)),
            ("no alg", Forge.token(header: Forge.header(alg: nil), claims: claims, signature: .hs256(key.secret))),
            ("HS384 with the right key", Forge.token(header: Forge.header(alg: "HS384"), claims: claims, signature: .hs384(key.secret))),
            ("HS512", Forge.token(header: Forge.header(alg: "HS512"), claims: claims, signature: .hs256(key.secret))),
            ("RS256", Forge.token(header: Forge.header(alg: "RS256"), claims: claims, signature: .raw(Forge.base64url(Data(repeating: 1, count: 256))))),
            ("ES256", Forge.token(header: Forge.header(alg: "ES256"), claims: claims, signature: .hs256(key.secret))),
            ("hs256 lower case", Forge.token(header: Forge.header(alg: "hs256"), claims: claims, signature: .hs256(key.secret))),
            ("HS256 but unsigned", Forge.token(header: Forge.header(), claims: claims, signature: .none)),
            ("typ not JWT", Forge.token(header: Forge.header(typ: "JWE"), claims: claims, signature: .hs256(key.secret))),
            ("crit header", Forge.token(header: Forge.header().merging(["crit": ["exp"]]) { $1 }, claims: claims, signature: .hs256(key.secret))),
        ]
        for (name, token) in cases {
            #expect(await code(tokens, token) == "TOKEN_INVALID", "\(name)")
        }
    }

    @Test func unknownOrMissingKeyIDsAreInvalid() async throws {
        let tokens = await service()
        let claims = Forge.claims(now: clock.nowSeconds)
        // Signed with the right secret but naming another kid: jwt-kit would fall back to a default key.
        #expect(await code(tokens, Forge.token(header: Forge.header(kid: "k2"), claims: claims, signature: .hs256(key.secret))) == "TOKEN_INVALID")
        #expect(await code(tokens, Forge.token(header: Forge.header(kid: nil), claims: claims, signature: .hs256(key.secret))) == "TOKEN_INVALID")
        // A real key id but another secret.
        #expect(await code(tokens, Forge.token(header: Forge.header(), claims: claims, signature: .hs256(testKey("k1", seed: 99).secret))) == "TOKEN_INVALID")
    }

    @Test func aFlippedSignatureBitIsInvalidWherever() async throws {
        let tokens = await service()
        let good = forged()
        let dot = good.lastIndex(of: ".")!
        let signature = try #require(Base64URL.decode(good[good.index(after: dot)...]))
        for index in [0, 7, 16, signature.count - 1] {
            var flipped = signature
            flipped[index] ^= 0x01
            let token = good[...dot] + Base64URL.encode(flipped)
            #expect(await code(tokens, String(token)) == "TOKEN_INVALID", "byte \(index)")
        }
        // And a flipped bit in the claims (the signature no longer covers them).
        let parts = good.split(separator: ".").map(String.init)
        var claims = try #require(Base64URL.decode(parts[1]))
        claims[claims.count / 2] ^= 0x01
        #expect(await code(tokens, parts[0] + "." + Base64URL.encode(claims) + "." + parts[2]) == "TOKEN_INVALID")
    }

    @Test func expiredTokensAreExpiredAndEarlyOnesInvalid() async throws {
        let tokens = await service()
        let now = clock.nowSeconds
        // Issued 16 minutes ago with the usual 15-minute life.
        #expect(await code(tokens, forged(overrides: ["iat": now - 960, "exp": now - 60])) == "TOKEN_EXPIRED")
        // Expiring exactly now.
        #expect(await code(tokens, forged(overrides: ["iat": now - 900, "exp": now])) == "TOKEN_EXPIRED")
        // A real token, once time passes.
        let issued = tokens.issue(userID: "u", email: "e@x", sessionID: "s")
        clock.advance(seconds: 899)
        _ = try tokens.verify(issued.token)
        clock.advance(seconds: 1)
        #expect(await code(tokens, issued.token) == "TOKEN_EXPIRED")
        // Not yet valid.
        clock.advance(seconds: -900)
        let later = clock.nowSeconds
        #expect(await code(tokens, forged(overrides: ["nbf": later + 120])) == "TOKEN_INVALID")
        #expect(await code(tokens, forged(overrides: ["iat": later + 120, "exp": later + 900])) == "TOKEN_INVALID")
        // Within the 30 s leeway both pass.
        _ = try tokens.verify(forged(overrides: ["nbf": later + 20]))
        _ = try tokens.verify(forged(overrides: ["iat": later + 20, "exp": later + 900]))
        // A lifetime longer than this server issues (a forged "forever" token).
        #expect(await code(tokens, forged(overrides: ["exp": later + 365 * 86_400])) == "TOKEN_INVALID")
        #expect(await code(tokens, forged(overrides: ["exp": later - 10, "iat": later])) == "TOKEN_INVALID")
    }

    @Test func wrongTypeAudienceIssuerOrClaimsAreInvalid() async throws {
        let tokens = await service()
        let cases: [(String, [String: Any])] = [
            ("typ refresh", ["typ": "refresh"]),
            ("typ missing", ["typ": NSNull()]),
            ("typ Access", ["typ": "Access"]),
            ("aud other", ["aud": "another-service"]),
            ("aud array without us", ["aud": ["a", "b"]]),
            ("aud missing", ["aud": NSNull()]),
            ("iss other", ["iss": "someone-else"]),
            ("iss missing", ["iss": NSNull()]),
            ("sub differs from user_id", ["sub": "65e1a0b2c3d4e5f6a7b8ffff"]),
            ("sid missing", ["sid": NSNull()]),
            ("exp missing", ["exp": NSNull()]),
            ("exp a string", ["exp": "tomorrow"]),
            ("email missing", ["email": NSNull()]),
        ]
        for (name, overrides) in cases {
            #expect(await code(tokens, forged(overrides: overrides)) == "TOKEN_INVALID", "\(name)")
        }
    }

    /// A token signed with the ring's key whose claims are the JSON text given.
    func signedRaw(claims: String, header: String = #"{"alg":"HS256","typ":"JWT","kid":"k1"}"#) -> String {
        let input = Forge.base64url(Data(header.utf8)) + "." + Forge.base64url(Data(claims.utf8))
        return Forge.token(rawInput: input, signature: .hs256(key.secret))
    }

    func rawClaims(iat: String, exp: String, nbf: String? = nil) -> String {
        var text = #"{"sub":"u","user_id":"u","email":"e@x","jti":"j","iss":"deltastored","aud":"deltastream","typ":"access","sid":"s","iat":"# + iat + #","exp":"# + exp
        if let nbf { text += #","nbf":"# + nbf }
        return text + "}"
    }

    @Test func timeClaimsAreStrictIntegersAndAnyInt64IsHandledWithoutOverflow() async throws {
        let tokens = await service()
        let now = clock.nowSeconds
        let (iat, exp) = (String(now - 10), String(now + 600))
        _ = try tokens.verify(signedRaw(claims: rawClaims(iat: iat, exp: exp)))
        for (name, claims) in [
            ("exp 1.0-style", rawClaims(iat: iat, exp: exp + ".0")), ("exp with an exponent", rawClaims(iat: iat, exp: "1.7e9")),
            ("exp with a capital exponent", rawClaims(iat: iat, exp: "17E8")), ("iat a float", rawClaims(iat: iat + ".5", exp: exp)),
            ("nbf a float", rawClaims(iat: iat, exp: exp, nbf: "0.0")), ("exp a string", rawClaims(iat: iat, exp: "\"" + exp + "\"")),
            ("exp a boolean", rawClaims(iat: iat, exp: "true")), ("exp null", rawClaims(iat: iat, exp: "null")),
            ("exp beyond Int64", rawClaims(iat: iat, exp: "9223372036854775808")),
        ] {
            #expect(await code(tokens, signedRaw(claims: claims)) == "TOKEN_INVALID", "\(name)")
        }
        let extremes = ["-9223372036854775808", "9223372036854775807", "9007199254740992", "-9007199254740992"]
        for value in extremes {
            #expect(await code(tokens, signedRaw(claims: rawClaims(iat: value, exp: exp))) == "TOKEN_INVALID", "iat \(value)")
            #expect(await code(tokens, signedRaw(claims: rawClaims(iat: iat, exp: value))) == "TOKEN_INVALID", "exp \(value)")
            let nbf = await code(tokens, signedRaw(claims: rawClaims(iat: iat, exp: exp, nbf: value)))
            #expect(nbf == (value.hasPrefix("-") ? nil : "TOKEN_INVALID"), "nbf \(value)")
        }
        let reason = await authError { _ = try tokens.verify(signedRaw(claims: rawClaims(iat: "-9223372036854775808", exp: exp))) }
        #expect(String(describing: reason).contains("beyond 2^63"), "\(String(describing: reason))")
        #expect(String(describing: await authError { _ = try tokens.verify(signedRaw(claims: rawClaims(iat: iat, exp: exp + ".0"))) }).contains("'exp' is a non-integer number"))
    }

    @Test func theHeaderTypIsExactlyJWTAndNothingIsRepeated() async throws {
        let tokens = await service()
        let claims = rawClaims(iat: String(clock.nowSeconds), exp: String(clock.nowSeconds + 600))
        _ = try tokens.verify(signedRaw(claims: claims))
        for header in [
            #"{"alg":"HS256","typ":"jwt","kid":"k1"}"#, #"{"alg":"HS256","kid":"k1"}"#, #"{"alg":"HS256","typ":1,"kid":"k1"}"#,
            #"{"alg":"HS256","typ":"JWT","typ":"JWT","kid":"k1"}"#, #"{"alg":"HS256","typ":"JWT","kid":7}"#, #"["HS256"]"#,
        ] {
            #expect(await code(tokens, signedRaw(claims: claims, header: header)) == "TOKEN_INVALID", "\(header)")
        }
        let repeated = String(claims.dropLast()) + #","exp":9223372036854775807}"#
        #expect(await code(tokens, signedRaw(claims: repeated)) == "TOKEN_INVALID", "a repeated claim")
        #expect(await code(tokens, signedRaw(claims: "[" + claims + "]")) == "TOKEN_INVALID", "claims not an object")
    }

    @Test func rotationSignsWithTheNewestAndVerifiesWithAll() async throws {
        let old = testKey("2024-03", seed: 1)
        let new = testKey("2024-06", seed: 2)
        let before = await service(keys: [old])
        let oldToken = before.issue(userID: "u", email: "e@x", sessionID: "s")
        #expect(oldToken.kid == "2024-03")

        let after = await service(keys: [old, new])
        let newToken = after.issue(userID: "u", email: "e@x", sessionID: "s")
        #expect(newToken.kid == "2024-06", "the last key signs")
        _ = try after.verify(oldToken.token)
        _ = try after.verify(newToken.token)

        let retired = await service(keys: [new])
        #expect(await code(retired, oldToken.token) == "TOKEN_INVALID", "a removed key no longer verifies")
        _ = try retired.verify(newToken.token)
    }

    @Test func eachRefusalSaysWhy() async throws {
        let tokens = await service()
        let claims = Forge.claims(now: clock.nowSeconds)
        func reason(_ token: String) async -> String {
            await authError { _ = try tokens.verify(token) }.map(String.init(describing:)) ?? "accepted"
        }
        #expect(await reason(Forge.token(header: Forge.header(alg: "none"), claims: claims, signature: .none)).contains("algorithm 'none' is not accepted"))
        #expect(await reason(Forge.token(header: Forge.header(alg: "RS256"), claims: claims, signature: .hs256(key.secret))).contains("algorithm 'RS256'"))
        #expect(await reason(Forge.token(header: Forge.header(kid: "k9"), claims: claims, signature: .hs256(key.secret))).contains("unknown key 'k9'"))
        #expect(await reason(Forge.token(header: Forge.header(), claims: claims, signature: .hs256(testKey("k1", seed: 3).secret))).contains("bad signature"))
        #expect(await reason(forged(overrides: ["typ": "refresh"])).contains("not an access token"))
        #expect(await reason(forged(overrides: ["aud": "x"])).contains("not issued for deltastream"))
        #expect(await reason(forged(overrides: ["iss": "x"])).contains("issued by 'x'"))
        #expect(await reason(forged(overrides: ["nbf": clock.nowSeconds + 3600])).contains("not valid yet"))
        #expect(await reason(RefreshToken.generate()).contains("a refresh token is not an access token"))
        #expect(await reason("a.b").contains("three parts"))
    }

    // MARK: The verified-token cache

    @Test func aRepeatedTokenIsServedFromTheCacheWithItsTimesCheckedAgain() async throws {
        let tokens = await service()
        let issued = tokens.issue(userID: "u", email: "e@x", sessionID: "s")
        let first = try tokens.verify(issued.token)
        #expect(tokens.verifiedCacheCount == 1)
        #expect(try tokens.verify(issued.token) == first)
        #expect(tokens.verifiedCacheCount == 1)
        // The clock set back before iat (beyond the leeway): the cached token is
        // refused as the full check would refuse it.
        clock.advance(seconds: -120)
        #expect(await code(tokens, issued.token) == "TOKEN_INVALID")
        clock.advance(seconds: 120 + 900)
        #expect(await code(tokens, issued.token) == "TOKEN_EXPIRED")
        #expect(tokens.verifiedCacheCount == 0, "an expired entry is dropped")
    }

    @Test func refusedTokensAreNeverCachedAndAChangedByteMisses() async throws {
        let tokens = await service()
        let issued = tokens.issue(userID: "u", email: "e@x", sessionID: "s")
        _ = try tokens.verify(issued.token)
        // The same claims and header with the last signature character changed.
        var bytes = Array(issued.token.utf8)
        bytes[bytes.count - 1] = bytes[bytes.count - 1] == UInt8(ascii: "A") ? UInt8(ascii: "Q") : UInt8(ascii: "A")
        #expect(await code(tokens, String(decoding: bytes, as: UTF8.self)) == "TOKEN_INVALID")
        #expect(await code(tokens, forged(overrides: ["aud": "x"])) == "TOKEN_INVALID")
        #expect(await code(tokens, forged(overrides: ["aud": "x"])) == "TOKEN_INVALID")
        #expect(tokens.verifiedCacheCount == 1)
    }

    /// The token's bytes, as the server reads them in place.
    func cached(_ tokens: TokenService, _ token: String) -> VerifiedAccessToken? {
        Array(token.utf8).withUnsafeBytes { tokens.verifyCached($0) }
    }

    @Test func verifyCachedAnswersOnlyWhatVerifyWouldAnswerFromTheCache() async throws {
        let tokens = await service()
        let issued = tokens.issue(userID: "u", email: "e@x", sessionID: "s")
        #expect(cached(tokens, issued.token) == nil, "never verified: left to verify")
        let first = try tokens.verify(issued.token)
        #expect(cached(tokens, issued.token) == first)
        var changed = Array(issued.token.utf8)
        changed[changed.count - 1] = changed[changed.count - 1] == UInt8(ascii: "A") ? UInt8(ascii: "Q") : UInt8(ascii: "A")
        #expect(changed.withUnsafeBytes { tokens.verifyCached($0) } == nil, "a changed byte misses")
        clock.advance(seconds: -120)
        #expect(cached(tokens, issued.token) == nil, "issued in the future now: verify says so")
        clock.advance(seconds: 120 + 900)
        #expect(cached(tokens, issued.token) == nil, "expired: verify says so")
        #expect(await code(tokens, issued.token) == "TOKEN_EXPIRED")
    }

    @Test func theCacheIsBoundedAndCanBeTurnedOff() async throws {
        let ring = KeyRing(keys: [key], logger: quietLogger)
        let small = TokenService(keyRing: ring, settings: TokenSettings(verifiedCacheCapacity: 2), clock: clock.clock)
        let off = TokenService(keyRing: ring, settings: TokenSettings(verifiedCacheCapacity: 0), clock: clock.clock)
        var issued: [String] = []
        for index in 0..<5 {
            issued.append(small.issue(userID: "u\(index)", email: "e@x", sessionID: "s").token)
        }
        for token in issued + issued {
            #expect(try small.verify(token).email == "e@x")
            #expect(try off.verify(token).email == "e@x")
        }
        #expect(small.verifiedCacheCount == 2)
        #expect(off.verifiedCacheCount == 0)
    }
}
