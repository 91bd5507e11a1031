import Domain
import XCTest

/// Email normalization and validation, and the password rule.
final class AuthRulesTests: XCTestCase {
    func testEmailsAreTrimmedAndLowerCased() throws {
        XCTAssertEqual(try EmailAddress(normalizing: "  Ana@Example.COM \n").value, "ana@example.com")
        XCTAssertEqual(try EmailAddress(normalizing: "\tBOB@x").value, "bob@x")
        XCTAssertEqual(try EmailAddress(normalizing: "Ünïcödé@Exämple.de").value, "ünïcödé@exämple.de")
        XCTAssertEqual(try EmailAddress(normalizing: "a+tag@b.c").value, "a+tag@b.c")
    }

    func testMalformedEmailsAreRefusedNamingTheField() {
        let bad = ["", "   ", "no-at-sign", "a@@b", "a@b@c", "@b", "a@", "a b@c", "a@b\u{0}c", "a\u{7}@b",
                   String(repeating: "a", count: 250) + "@b.co"]
        for email in bad {
            XCTAssertThrowsError(try EmailAddress(normalizing: email), email.debugDescription) { error in
                XCTAssertEqual((error as? FieldError)?.field, "email")
            }
        }
    }

    func testTheLengthLimitIs254BytesAfterNormalization() throws {
        let local = String(repeating: "a", count: 64)
        let domain = String(repeating: "b", count: 254 - 65)
        XCTAssertEqual(try EmailAddress(normalizing: "  " + local + "@" + domain + "  ").value.utf8.count, 254)
        XCTAssertThrowsError(try EmailAddress(normalizing: local + "@" + domain + "b"))
        // Bytes, not characters: 127 two-byte characters are 254 bytes.
        XCTAssertNoThrow(try EmailAddress(normalizing: String(repeating: "é", count: 126) + "@b"))
        XCTAssertThrowsError(try EmailAddress(normalizing: String(repeating: "é", count: 127) + "@b"))
    }

    func testPasswordRule() {
        XCTAssertNoThrow(try PasswordRule.checkNew("12345678"))
        XCTAssertNoThrow(try PasswordRule.checkNew(String(repeating: "x", count: 72)))
        XCTAssertThrowsError(try PasswordRule.checkNew(String(repeating: "x", count: 73)))
        XCTAssertThrowsError(try PasswordRule.checkNew("1234567"))
        XCTAssertNoThrow(try PasswordRule.checkPresented("123456"))
        XCTAssertThrowsError(try PasswordRule.checkPresented(String(repeating: "x", count: 73)))
        XCTAssertThrowsError(try PasswordRule.checkNew("1234\u{0}5678"))
    }
}
