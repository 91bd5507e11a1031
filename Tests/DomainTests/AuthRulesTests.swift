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

    func testEmailsAreNFCAndFullyCaseFolded() throws {
        let composed = try EmailAddress(normalizing: "Jos\u{E9}@Example.com").value
        XCTAssertEqual(composed, "jos\u{E9}@example.com")
        XCTAssertEqual(composed.unicodeScalars.count, 16, "NFC: é is one scalar")
        XCTAssertEqual(try EmailAddress(normalizing: "JOSE\u{301}@EXAMPLE.COM").value.unicodeScalars.map(\.value), composed.unicodeScalars.map(\.value))
        XCTAssertEqual(try EmailAddress(normalizing: "Stra\u{DF}e@x.de").value, "strasse@x.de", "full case folding: ß is ss")
        XCTAssertEqual(try EmailAddress(normalizing: "\u{FB01}le@x.de").value, "file@x.de", "the ﬁ ligature folds to fi")
        XCTAssertEqual(try EmailAddress(normalizing: "\u{212A}elvin@x.de").value, "kelvin@x.de", "the Kelvin sign folds to k")
        XCTAssertEqual(try EmailAddress(normalizing: "\u{391}\u{3A3}@x.gr").value, "\u{3B1}\u{3C3}@x.gr", "Greek folds too")
        // Normalizing twice changes nothing.
        for raw in ["Jos\u{E9}@Example.com", "Stra\u{DF}e@x.de", "\u{130}stanbul@x.tr", "a+tag@b.c"] {
            let once = EmailAddress.normalize(raw)
            XCTAssertEqual(EmailAddress.normalize(once), once, raw.debugDescription)
        }
    }

    func testInvisibleAndUnassignedCharactersAreRefusedNamingTheField() {
        let bad = [
            "ana@example.com\u{200B}", "a\u{200C}na@x.com", "a\u{200D}na@x.com", "\u{202E}ana@x.com", "ana@\u{200E}x.com",
            "ana@\u{2066}x.com", "an\u{AD}a@x.com", "\u{FEFF}ana@x.com", "an\u{378}a@x.com", "ana@x.com\u{E0001}",
            "ana\u{2028}@x.com", "ana\u{85}@x.com", "ana\u{FFFF}@x.com",
        ]
        for email in bad {
            XCTAssertThrowsError(try EmailAddress(normalizing: email), email.unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: " ")) { error in
                XCTAssertEqual((error as? FieldError)?.field, "email")
                XCTAssertTrue((error as? FieldError)?.reason.contains("U+") ?? false, "\(error)")
            }
        }
        XCTAssertEqual((try? EmailAddress(normalizing: "ana@x.com\u{200B}", field: "login"))?.value, nil)
    }

    func testStoredEmailsAreBroughtToTheNormalForm() {
        let plan = EmailNormalizationPlan([
            .init(id: "a", email: "jose\u{301}@x.com", createdAt: 5),            // decomposed: rewritten
            .init(id: "b", email: "jos\u{E9}@x.com", createdAt: 9),              // composed: already normal
            .init(id: "c", email: "stra\u{DF}e@x.de", createdAt: 1),             // ß: rewritten to ss
            .init(id: "d", email: "ana@x.com", createdAt: 1),                    // normal: untouched
            .init(id: "e", email: "ana@x.com\u{200B}", createdAt: 2),            // a look-alike the rules now refuse
            .init(id: "f", email: "\u{130}@x.tr", createdAt: 7),                 // İ and i + U+0307: one form,
            .init(id: "g", email: "i\u{307}@x.tr", createdAt: 3),                // the normal one keeps it
            .init(id: "h", email: "Bob@x.com", createdAt: 4),                    // two spellings, neither normal
            .init(id: "i", email: "BOB@x.com", createdAt: 2),                    // (a store DeltaStream wrote): the older gets it
        ])
        // İ folds to i + U+0307 (no composed form): g has it already, so f is the conflict.
        XCTAssertEqual(plan.rewrites, [
            .init(id: "i", from: "BOB@x.com", to: "bob@x.com"), .init(id: "c", from: "stra\u{DF}e@x.de", to: "strasse@x.de"),
        ])
        XCTAssertEqual(plan.conflicts, [
            .init(id: "h", email: "Bob@x.com", keptBy: "i"), .init(id: "f", email: "\u{130}@x.tr", keptBy: "g"),
            .init(id: "a", email: "jose\u{301}@x.com", keptBy: "b"),
        ])
        XCTAssertEqual(plan.refused.map(\.id), ["e"])
        XCTAssertTrue(plan.warnings.allSatisfy { !$0.contains("@") }, "warnings name ids, not emails: \(plan.warnings)")
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
