import BSONCore
import Crypto
import Foundation
import TestSupport
import XCTest

/// What a client or a token can put in front of the daemon: emails in every
/// Unicode spelling, and tokens signed with the daemon's own key that carry
/// any number in their times. Nothing of it crashes the daemon. Against the
/// built binary (here) and in process (`AuthInputInProcessTests`).
class AuthInputEndToEndTests: AuthDaemonTestCase {
    static let secret = Array("deltastore-e2e-forging-secret-0123456789".utf8)

    func keyFile() throws -> String {
        let encoded = Data(Self.secret).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return try writeKeys(["k1 " + encoded])
    }

    static func base64url(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// A token signed with the daemon's key: `claims` is the JSON text of the
    /// claims object, written here by hand so every number is exactly as given.
    static func signed(claims: String, header: String = #"{"alg":"HS256","typ":"JWT","kid":"k1"}"#) -> String {
        let input = base64url(header) + "." + base64url(claims)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: secret))
        return input + "." + Data(mac).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The claims this server issues, with the numeric members as raw JSON text.
    static func claims(iat: String, exp: String, nbf: String? = nil) -> String {
        var members = [
            #""sub":"65e1a0b2c3d4e5f6a7b80001""#, #""user_id":"65e1a0b2c3d4e5f6a7b80001""#, #""email":"ana@example.com""#,
            #""iat":"# + iat, #""exp":"# + exp, #""jti":"j""#, #""iss":"deltastored""#, #""aud":"deltastream""#,
            #""typ":"access""#, #""sid":"family-1""#,
        ]
        if let nbf { members.append(#""nbf":"# + nbf) }
        return "{" + members.joined(separator: ",") + "}"
    }

    func testTokensWithExtremeNumbersInEveryTimeClaimAreRefusedAndTheDaemonLives() throws {
        let daemon = try authDaemon(keys: keyFile())
        let socket = try connect()
        defer { socket.close() }
        let now = Int64(Date().timeIntervalSince1970)
        let valid = String(now + 600)
        let issued = String(now - 60)
        // A control: the forge makes tokens the daemon accepts.
        XCTAssertEqual(ok(try call(socket, "auth.verify", ["token": .string(Self.signed(claims: Self.claims(iat: issued, exp: valid)))]))["valid"], .bool(true))

        let extremes = ["-9223372036854775808", "9223372036854775807", "9007199254740992", "-9007199254740992", "9007199254740993", "-9007199254740993"]
        var cases: [(String, String, String)] = [] // (what, claims, expected code)
        for value in extremes {
            cases.append(("iat = \(value)", Self.claims(iat: value, exp: valid), "TOKEN_INVALID"))
            cases.append(("exp = \(value)", Self.claims(iat: issued, exp: value), "TOKEN_INVALID"))
            // nbf far in the past is no objection; in the future it is.
            cases.append(("nbf = \(value)", Self.claims(iat: issued, exp: valid, nbf: value), value.hasPrefix("-") ? "OK" : "TOKEN_INVALID"))
        }
        cases.append(("iat = -2^63, exp = 2^63 - 1", Self.claims(iat: "-9223372036854775808", exp: "9223372036854775807"), "TOKEN_INVALID"))
        cases.append(("iat = 2^63 - 1, exp = -2^63", Self.claims(iat: "9223372036854775807", exp: "-9223372036854775808"), "TOKEN_INVALID"))
        cases.append(("iat beyond Int64", Self.claims(iat: "9223372036854775808", exp: valid), "TOKEN_INVALID"))
        // Strict types: numbers written as floats or strings are not integers.
        cases.append(("exp as a float", Self.claims(iat: issued, exp: valid + ".0"), "TOKEN_INVALID"))
        cases.append(("exp with an exponent", Self.claims(iat: issued, exp: "1.7e9"), "TOKEN_INVALID"))
        cases.append(("iat as a float", Self.claims(iat: issued + ".5", exp: valid), "TOKEN_INVALID"))
        cases.append(("nbf as a float", Self.claims(iat: issued, exp: valid, nbf: issued + ".0"), "TOKEN_INVALID"))
        cases.append(("exp as a string", Self.claims(iat: issued, exp: "\"" + valid + "\""), "TOKEN_INVALID"))
        cases.append(("exp as true", Self.claims(iat: issued, exp: "true"), "TOKEN_INVALID"))
        for (what, claims, expected) in cases {
            let reply = try call(socket, "auth.verify", ["token": .string(Self.signed(claims: claims))])
            XCTAssertEqual(code(reply) ?? "OK", expected, "\(what): \(reply)")
        }
        // Header typ is exactly JWT.
        for header in [#"{"alg":"HS256","typ":"jwt","kid":"k1"}"#, #"{"alg":"HS256","kid":"k1"}"#, #"{"alg":"HS256","typ":"JWT","kid":"k1","typ":"JWT"}"#] {
            let reply = try call(socket, "auth.verify", ["token": .string(Self.signed(claims: Self.claims(iat: issued, exp: valid), header: header))])
            XCTAssertEqual(code(reply), "TOKEN_INVALID", "\(header): \(reply)")
        }
        // A duplicate claim is refused rather than read one way or the other.
        let duplicate = Self.claims(iat: issued, exp: valid).dropLast() + #","exp":9223372036854775807}"#
        XCTAssertEqual(code(try call(socket, "auth.verify", ["token": .string(Self.signed(claims: String(duplicate)))])), "TOKEN_INVALID")
        // auth.logout takes the same path for its token.
        XCTAssertEqual(code(try call(socket, "auth.logout", ["token": .string(Self.signed(claims: Self.claims(iat: "-9223372036854775808", exp: valid)))])), "TOKEN_INVALID")

        XCTAssertEqual(ok(try call(socket, "ping"))["pong"], .bool(true))
        XCTAssertTrue(daemon.isRunning, "the daemon lives:\n\(daemon.log)")
    }

    func testEmailsAreOneAccountInEveryUnicodeSpellingAndInvisibleCharactersAreRefused() throws {
        try authDaemon()
        let socket = try connect()
        defer { socket.close() }
        let composed = "Jos\u{E9}@Example.com"
        let decomposed = "jose\u{301}@example.COM"
        let registered = ok(try call(socket, "auth.register", ["email": .string(decomposed), "password": "correct horse battery"]))
        XCTAssertEqual(Array((registered["user"]?.documentValue?["email"]?.stringValue ?? "").utf8), Array("jos\u{E9}@example.com".utf8), "NFC, compared as bytes")
        XCTAssertEqual(code(try call(socket, "auth.register", ["email": .string(composed), "password": "another password"])), "CONFLICT", "composed and decomposed é are one account")
        _ = ok(try call(socket, "auth.login", ["email": .string(composed), "password": "correct horse battery"]))

        _ = ok(try call(socket, "auth.register", ["email": "Stra\u{DF}e@example.com", "password": "correct horse battery"]))
        XCTAssertEqual(code(try call(socket, "auth.register", ["email": "STRASSE@example.com", "password": "another password"])), "CONFLICT", "full case folding: ß is ss")
        _ = ok(try call(socket, "auth.login", ["email": "strasse@EXAMPLE.com", "password": "correct horse battery"]))

        for (what, email) in [
            ("a zero-width space at the end", "jos\u{E9}@example.com\u{200B}"), ("a zero-width joiner", "jo\u{200D}s\u{E9}@example.com"),
            ("a right-to-left override", "\u{202E}moc.elpmaxe@ana"), ("a left-to-right mark", "ana@\u{200E}example.com"),
            ("a soft hyphen", "an\u{AD}a@example.com"), ("an unassigned code point", "an\u{378}a@example.com"),
            ("a control character", "ana\u{1}@example.com"), ("a byte-order mark", "\u{FEFF}ana@example.com"),
        ] {
            for op in ["auth.register", "auth.login"] {
                let reply = try call(socket, op, ["email": .string(email), "password": "correct horse battery"])
                XCTAssertEqual(code(reply), "INVALID_ARGUMENT", "\(op) with \(what): \(reply)")
                XCTAssertEqual(reply["error"]?.documentValue?["details"]?.documentValue?["field"]?.stringValue, "email", "\(op) with \(what)")
            }
        }
    }
}

/// `AuthInputEndToEndTests`' bodies against the daemon assembled in the test process (each
/// named: Linux's test discovery runs only what a class declares).
final class AuthInputInProcessTests: AuthInputEndToEndTests {
    override var driver: DaemonDriver { .inProcess }

    override func testTokensWithExtremeNumbersInEveryTimeClaimAreRefusedAndTheDaemonLives() throws { try super.testTokensWithExtremeNumbersInEveryTimeClaimAreRefusedAndTheDaemonLives() }
    override func testEmailsAreOneAccountInEveryUnicodeSpellingAndInvisibleCharactersAreRefused() throws { try super.testEmailsAreOneAccountInEveryUnicodeSpellingAndInvisibleCharactersAreRefused() }

    func testInProcessRunsEveryBody() throws {
        try DeclaredTests.assertNamesEveryTest(of: "AuthInputEndToEndTests", in: "AuthInputEndToEndTests.swift", subclass: Self.self)
    }
}
