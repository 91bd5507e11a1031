@testable import Auth
import Crypto
import Foundation
import Testing

/// Refresh tokens and the base64url they are written in.
@Suite("Refresh tokens")
struct RefreshTokenTests {
    @Test func refreshTokensAre32RandomBytesInBase64URLStoredAsSHA256() {
        let token = RefreshToken.generate()
        #expect(token.utf8.count == 43)
        #expect(RefreshToken.isWellFormed(token))
        #expect(Base64URL.decode(token)?.count == 32)
        #expect(RefreshToken.generate() != token)
        #expect(RefreshToken.hash(token) == Array(SHA256.hash(data: Data(token.utf8))))
        #expect(RefreshToken.hash(token).count == 32)
    }

    @Test func onlyWellFormedRefreshTokensAreAccepted() {
        let token = RefreshToken.generate()
        #expect(!RefreshToken.isWellFormed(""))
        #expect(!RefreshToken.isWellFormed(String(token.dropLast())))
        #expect(!RefreshToken.isWellFormed(token + "A"))
        #expect(!RefreshToken.isWellFormed(String(token.dropLast()) + "="))
        #expect(!RefreshToken.isWellFormed(String(token.dropLast()) + "+"))
        #expect(!RefreshToken.isWellFormed("eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJlc2lnbmF0dXJl"))
    }

    @Test func base64URLRoundTripsAndIsStrict() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = Base64URL.encode(bytes)
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
            #expect(Base64URL.decode(text) == bytes)
            let foundation = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(text == foundation)
        }
        #expect(Base64URL.decode("A") == nil, "a length of 4n+1 is impossible")
        #expect(Base64URL.decode("AB==") == nil, "no padding")
        #expect(Base64URL.decode("AB+/") == nil, "not the standard alphabet")
        #expect(Base64URL.decode("AA") == [0])
        #expect(Base64URL.decode("AB") == nil, "non-canonical: unused bits set")
    }

    @Test func constantTimeEqualityIsEquality() {
        #expect(ConstantTime.equal([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2]))
        #expect(ConstantTime.equal([UInt8](), []))
    }
}
