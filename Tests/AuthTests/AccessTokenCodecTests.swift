@testable import Auth
import Crypto
import Foundation
import JWTKit
import Testing

/// The daemon's one JWT codec against jwt-kit, an independent implementation:
/// what one signs the other reads, claim for claim, including strings that
/// need escaping; and the codec's own refusals.
@Suite("Access token codec")
struct AccessTokenCodecTests {
    /// The claims as jwt-kit decodes and encodes them.
    struct InteropClaims: JWTPayload, Equatable {
        var sub: String
        var user_id: String
        var email: String
        var iat: Int64
        var nbf: Int64?
        var exp: Int64
        var jti: String
        var iss: String
        var aud: AudienceClaim
        var typ: String
        var sid: String

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    let secret: [UInt8] = Array("an interop secret of thirty-two bytes!!".utf8)

    func jwtKit() async -> JWTKeyCollection {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: JWKIdentifier(string: "k1"))
        return keys
    }

    func claims(email: String, audience: [String] = ["deltastream"], notBefore: Int64? = nil) -> AccessClaims {
        AccessClaims(
            subject: "u1", userID: "u1", email: email, issuedAt: 1_709_284_500, notBefore: notBefore, expiresAt: 1_709_285_400,
            tokenID: "j1", issuer: "deltastored", audience: audience, type: "access", sessionID: "s1"
        )
    }

    @Test(arguments: [
        "ana@example.com", #"quote"and\back@x.com"#, "tab\tnew\nline\u{01}@x.com", "é@x.com", "emoji😀@x.com", "slash/</script>@x.com",
    ])
    func whatTheCodecSignsJwtKitVerifiesClaimForClaim(email: String) async throws {
        let token = AccessTokenCodec.encode(claims(email: email), kid: "k1", secret: SymmetricKey(data: secret))
        let read = try await jwtKit().verify(token, as: InteropClaims.self)
        #expect(read.email == email)
        #expect(read.sub == "u1" && read.user_id == "u1" && read.jti == "j1" && read.sid == "s1")
        #expect(read.iat == 1_709_284_500 && read.exp == 1_709_285_400 && read.nbf == nil)
        #expect(read.iss == "deltastored" && read.typ == "access" && read.aud.value == ["deltastream"])
        // And the codec reads its own token back to the same claims.
        let decoded = try AccessTokenCodec.decode(token) { $0 == "k1" ? SymmetricKey(data: secret) : nil }
        #expect(decoded.kid == "k1")
        #expect(decoded.claims == claims(email: email))
    }

    @Test func severalAudiencesAndNotBeforeTravelBothWays() async throws {
        let original = claims(email: "ana@example.com", audience: ["deltastream", "other"], notBefore: 1_709_284_400)
        let token = AccessTokenCodec.encode(original, kid: "k1", secret: SymmetricKey(data: secret))
        let read = try await jwtKit().verify(token, as: InteropClaims.self)
        #expect(read.aud.value == ["deltastream", "other"])
        #expect(read.nbf == 1_709_284_400)
        let decoded = try AccessTokenCodec.decode(token) { _ in SymmetricKey(data: secret) }
        #expect(decoded.claims == original)
    }

    @Test func whatJwtKitSignsTheCodecReads() async throws {
        var header = JWTHeader()
        header.alg = "HS256"
        header.typ = "JWT"
        let payload = InteropClaims(
            sub: "u2", user_id: "u2", email: "bo@example.com", iat: 100, nbf: nil, exp: 1000, jti: "j2", iss: "deltastored",
            aud: AudienceClaim(value: ["deltastream"]), typ: "access", sid: "s2"
        )
        let token = try await jwtKit().sign(payload, kid: JWKIdentifier(string: "k1"), header: header)
        let decoded = try AccessTokenCodec.decode(token) { $0 == "k1" ? SymmetricKey(data: secret) : nil }
        #expect(decoded.kid == "k1")
        #expect(decoded.claims.email == "bo@example.com" && decoded.claims.userID == "u2" && decoded.claims.expiresAt == 1000)
    }

    @Test func anotherSecretOrAnUnknownKidIsRefused() throws {
        let token = AccessTokenCodec.encode(claims(email: "a@x.com"), kid: "k1", secret: SymmetricKey(data: secret))
        #expect(throws: AuthError.self) { try AccessTokenCodec.decode(token) { _ in SymmetricKey(data: Array("another secret".utf8)) } }
        #expect(throws: AuthError.self) { try AccessTokenCodec.decode(token) { _ in nil } }
        // One flipped byte of the claims: the signature no longer matches.
        var parts = token.split(separator: ".").map(String.init)
        var claimBytes = try #require(Base64URL.decode(parts[1]))
        claimBytes[claimBytes.count / 2] ^= 0x01
        parts[1] = Base64URL.encode(claimBytes)
        #expect(throws: AuthError.self) { try AccessTokenCodec.decode(parts.joined(separator: ".")) { _ in SymmetricKey(data: secret) } }
    }

    @Test func theHeaderIsWrittenAsRFC7515Says() throws {
        let token = AccessTokenCodec.encode(claims(email: "a@x.com"), kid: "k\"1", secret: SymmetricKey(data: secret))
        let header = try #require(Base64URL.decode(String(token.split(separator: ".")[0])))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(header)) as? [String: String])
        #expect(object == ["alg": "HS256", "kid": "k\"1", "typ": "JWT"])
    }
}
