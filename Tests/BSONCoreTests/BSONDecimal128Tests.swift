import BSONCore
import Foundation
import XCTest

final class BSONDecimal128Tests: XCTestCase {
    func testStringRoundTrip() throws {
        for text in ["0", "-0", "1", "-1", "1.5", "0.001", "1.05E+3", "1E+3", "-1.234567890123456789012345678901234E+6144", "1E-6176", "NaN", "Infinity", "-Infinity", "9.999999999999999999999999999999999E+6144"] {
            let decimal = try XCTUnwrap(BSONDecimal128(text), text)
            XCTAssertEqual(decimal.description, text)
            XCTAssertEqual(BSONDecimal128(decimal.description), decimal, text)
        }
    }

    func testKnownEncodings() throws {
        // From the corpus: 1 is 0x3040000000000000_0000000000000001.
        XCTAssertEqual(BSONDecimal128("1"), BSONDecimal128(low: 1, high: 0x3040_0000_0000_0000))
        XCTAssertEqual(BSONDecimal128("-0"), BSONDecimal128(low: 0, high: 0xB040_0000_0000_0000))
        XCTAssertEqual(BSONDecimal128("Infinity"), BSONDecimal128(low: 0, high: 0x7800_0000_0000_0000))
        XCTAssertEqual(BSONDecimal128("NaN"), BSONDecimal128(low: 0, high: 0x7C00_0000_0000_0000))
    }

    func testNonCanonicalSpellingsParseToTheSameValue() throws {
        XCTAssertEqual(BSONDecimal128("1e3"), BSONDecimal128("1E+3"))
        XCTAssertEqual(BSONDecimal128("+1.5"), BSONDecimal128("1.5"))
        XCTAssertEqual(BSONDecimal128("inf")?.description, "Infinity")
        // Same value, different precision: 1.0 keeps its trailing zero.
        XCTAssertEqual(BSONDecimal128("1.0")?.description, "1.0")
        XCTAssertNotEqual(BSONDecimal128("1.0"), BSONDecimal128("1"))
    }

    func testInvalidStringsAreRejected() {
        for text in ["", "abc", "1.2.3", "1e", "--1", "1,5", " 1", "0x10"] {
            XCTAssertNil(BSONDecimal128(text), text.debugDescription)
        }
    }

    func testDecimalInADocument() throws {
        let decimal = try XCTUnwrap(BSONDecimal128("123.456"))
        let document: BSONDocument = ["price": .decimal128(decimal)]
        XCTAssertEqual(document["price"], .decimal128(decimal))
        XCTAssertTrue(try jsonSemanticallyEqual(document.canonicalExtendedJSON, #"{"price": {"$numberDecimal": "123.456"}}"#))
    }

    // MARK: - Corpus

    /// For every Decimal128 case: the value read from canonical_bson prints as the
    /// canonical string, and that string parses to the same value.
    func testCorpusValidDecimalsRoundTripThroughStrings() throws {
        let corpus = try loadCorpus()
        let decimals = corpus.valid.filter { $0.file.hasPrefix("decimal128-") }
        XCTAssertGreaterThan(decimals.count, 500)
        for test in decimals {
            guard let document = try? BSONDocument(validating: test.canonicalBSON),
                  case .decimal128(let decimal)? = document["d"]
            else {
                XCTFail("\(test.name): no decimal under 'd'"); continue
            }
            // canonical_extjson is {"d": {"$numberDecimal": "<canonical string>"}}.
            guard let json = try? JSONSerialization.jsonObject(with: Data(test.canonicalExtJSON.utf8)) as? [String: Any],
                  let wrapper = json["d"] as? [String: Any],
                  let canonical = wrapper["$numberDecimal"] as? String
            else {
                XCTFail("\(test.name): unexpected canonical_extjson \(test.canonicalExtJSON)"); continue
            }
            XCTAssertEqual(decimal.description, canonical, test.name)
            // Lossy cases (NaN payloads, negative NaN, non-canonical encodings of
            // zero) print the canonical string of a different bit pattern.
            if !test.lossy {
                XCTAssertEqual(BSONDecimal128(canonical), decimal, test.name)
            }
        }
    }

    /// Decimal128 parse errors are strings that are not decimals, or that would
    /// need rounding: parsing must refuse them rather than round.
    func testCorpusDecimalParseErrorsAreRejected() throws {
        let corpus = try loadCorpus()
        let errors = corpus.parseErrors.filter { $0.bsonType == "0x13" }
        XCTAssertGreaterThan(errors.count, 100)
        for test in errors {
            XCTAssertNil(BSONDecimal128(test.string), "\(test.name): \(test.string.debugDescription) was accepted")
        }
    }
}
