import BSONCore
import Domain
import XCTest

final class FieldRulesTests: XCTestCase {
    func testNames() throws {
        XCTAssertEqual(try FieldRules.name("NIFTY", field: "product"), "NIFTY")
        XCTAssertEqual(try FieldRules.name("a.b_c-9", field: "product"), "a.b_c-9")
        XCTAssertEqual(try FieldRules.name(.string(String(repeating: "x", count: 64)), field: "p"), String(repeating: "x", count: 64))
        for bad: BSONValue in ["", .string(String(repeating: "x", count: 65)), "NIFTY 50", "$where", "a/b", "ñ", ["$gt": ""], 5] {
            XCTAssertThrowsError(try FieldRules.name(bad, field: "product"), "\(bad)") { error in
                XCTAssertEqual((error as? FieldError)?.field, "product")
            }
        }
        XCTAssertThrowsError(try FieldRules.name(nil, field: "product")) { error in
            XCTAssertEqual((error as? FieldError)?.reason, "required")
        }
    }

    func testPositiveNumbersAcceptEveryNumericTypeButNothingElse() throws {
        XCTAssertEqual(try FieldRules.positiveNumber(.double(1.5), field: "price"), 1.5)
        XCTAssertEqual(try FieldRules.positiveNumber(.int32(7), field: "price"), 7)
        XCTAssertEqual(try FieldRules.positiveNumber(.int64(8), field: "price"), 8)
        for bad: BSONValue in [0.0, -1.0, .double(.nan), .double(.infinity), .double(-.infinity), "1.5", .int32(0), .null] {
            XCTAssertThrowsError(try FieldRules.positiveNumber(bad, field: "price"), "\(bad)")
        }
    }

    func testDatetimeIsStrict() throws {
        XCTAssertEqual(try FieldRules.datetime(.datetime(1_700_000_000_000), field: "timestamp"), 1_700_000_000_000)
        for bad: BSONValue in ["2025-01-30T09:15:00Z", .int64(1_700_000_000_000), .double(1.7e12), .timestamp(seconds: 1, increment: 1)] {
            XCTAssertThrowsError(try FieldRules.datetime(bad, field: "timestamp")) { error in
                XCTAssertTrue((error as? FieldError)?.reason.contains("datetime") ?? false)
            }
        }
    }

    /// A record's time lies in years 1 to 9999: the limits themselves are
    /// accepted, one millisecond beyond them and the Int64 extremes are refused
    /// with a reason that states the range.
    func testDatetimeIsWithinYearsOneToNineThousandNineHundredNinetyNine() throws {
        for good in [RecordTime.earliest, RecordTime.latest, 0, -1, 1_738_228_500_000] {
            XCTAssertEqual(try FieldRules.datetime(.datetime(good), field: "timestamp"), good)
        }
        for bad in [Int64.min, Int64.min + 1, RecordTime.earliest - 1, RecordTime.latest + 1, Int64.max] {
            XCTAssertThrowsError(try FieldRules.datetime(.datetime(bad), field: "timestamp"), "\(bad)") { error in
                let fieldError = error as? FieldError
                XCTAssertEqual(fieldError?.field, "timestamp")
                XCTAssertTrue(fieldError?.reason.contains("0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z") ?? false, "\(String(describing: fieldError))")
            }
        }
    }

    func testCalendarDates() {
        for good in ["2025-01-30", "2024-02-29", "2000-02-29", "1999-12-31"] {
            XCTAssertTrue(FieldRules.isCalendarDate(good), good)
        }
        for bad in ["2025-02-29", "1900-02-29", "2025-13-01", "2025-00-10", "2025-04-31", "2025-1-30", "25-01-30", "2025/01/30", "2025-01-30T00:00:00Z", "", "0000-01-01"] {
            XCTAssertFalse(FieldRules.isCalendarDate(bad), bad)
        }
    }

    func testStorableKeysAtEveryDepth() throws {
        XCTAssertNoThrow(try FieldRules.storableKeys(["a": ["b": [["c": 1]]]]))
        // The same key in different documents is fine.
        XCTAssertNoThrow(try FieldRules.storableKeys(["strike": 1, "calls": [["strike": 2], ["strike": 3]], "greeks": ["strike": 4]]))
        let cases: [(BSONDocument, String)] = [
            (["$where": "1"], "$where"),
            (["a.b": 1], "a.b"),
            (["": 1], ""),
            (["_id": 1], "_id"),
            (["greeks": ["$gt": 1]], "greeks.$gt"),
            (["calls": [["strike.x": 1]]], "calls.0.strike.x"),
            // A key given twice in one document: the second is reported, at any depth.
            (BSONDocument([("price", 1.0), ("product", "NIFTY"), ("price", 2.0)]), "price"),
            (["greeks": .document(BSONDocument([("delta", 0.5), ("delta", 0.6)]))], "greeks.delta"),
            (["calls": [.document(BSONDocument([("strike", 1), ("iv", 0.2), ("strike", 2)]))]], "calls.0.strike"),
        ]
        for (document, field) in cases {
            XCTAssertThrowsError(try FieldRules.storableKeys(document), "\(document)") { error in
                XCTAssertEqual((error as? FieldError)?.field, field)
            }
        }
    }

    func testARepeatedKeyIsFoundInSmallAndLargeDocuments() throws {
        // Below and above the in-place limit, at the top level and nested.
        for count in [2, 31, 32, 33, 200] {
            for repeatedAt in [1, count / 2, count - 1] where repeatedAt > 0 {
                var pairs: [(String, BSONValue)] = (0..<count).map { ("k\($0)", .int32(Int32($0))) }
                pairs[repeatedAt].0 = "k0"
                XCTAssertThrowsError(try FieldRules.storableKeys(BSONDocument(pairs)), "\(count)/\(repeatedAt)") { error in
                    XCTAssertEqual((error as? FieldError)?.field, "k0")
                }
                XCTAssertThrowsError(try FieldRules.storableKeys(["nested": .document(BSONDocument(pairs))])) { error in
                    XCTAssertEqual((error as? FieldError)?.field, "nested.k0")
                }
                pairs[repeatedAt].0 = "unique"
                XCTAssertNoThrow(try FieldRules.storableKeys(BSONDocument(pairs)), "\(count)/\(repeatedAt)")
            }
        }
    }
}
