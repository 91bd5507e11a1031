import BSONCore
import XCTest

/// `BSONValue`: type names, typed accessors, literals.
final class BSONValueTests: XCTestCase {
    private let samples: [BSONValue] = [
        .double(1.5), .string("s"), .document(["a": 1]), .array([1]),
        .binary(subtype: 0, data: [1]), .undefined, .objectID(BSONObjectID(hex: "000102030405060708090a0b")!),
        .bool(true), .datetime(7), .null, .regex(pattern: "a", options: ""),
        .dbPointer(collection: "c", id: BSONObjectID(hex: "000102030405060708090a0b")!),
        .javascript("1"), .symbol("s"), .javascriptWithScope(code: "x", scope: [:]), .int32(3),
        .timestamp(seconds: 1, increment: 2), .int64(4), .decimal128(BSONDecimal128("1")!), .minKey, .maxKey,
    ]

    func testTypeNames() {
        XCTAssertEqual(samples.map(\.typeName), [
            "double", "string", "document", "array", "binary", "undefined", "objectId",
            "bool", "datetime", "null", "regex", "dbPointer", "javascript", "symbol",
            "javascriptWithScope", "int32", "timestamp", "int64", "decimal128", "minKey", "maxKey",
        ])
    }

    func testStringValue() {
        XCTAssertEqual(BSONValue.string("x").stringValue, "x")
        XCTAssertEqual(BSONValue.string("").stringValue, "")
        // A symbol or code is not a string.
        XCTAssertNil(BSONValue.symbol("x").stringValue)
        XCTAssertNil(BSONValue.javascript("x").stringValue)
        XCTAssertEqual(samples.compactMap(\.stringValue), ["s"])
    }

    func testDocumentValue() {
        XCTAssertEqual(BSONValue.document(["a": 1]).documentValue, ["a": 1])
        XCTAssertNil(BSONValue.array([1]).documentValue)
        XCTAssertNil(BSONValue.javascriptWithScope(code: "", scope: ["a": 1]).documentValue)
        XCTAssertEqual(samples.compactMap(\.documentValue).count, 1)
    }

    func testArrayValue() {
        XCTAssertEqual(BSONValue.array([1, "2"]).arrayValue, [.int32(1), .string("2")])
        XCTAssertNil(BSONValue.document(["0": 1]).arrayValue)
        XCTAssertEqual(samples.compactMap(\.arrayValue).count, 1)
    }

    func testBoolValue() {
        XCTAssertEqual(BSONValue.bool(false).boolValue, false)
        XCTAssertEqual(BSONValue.bool(true).boolValue, true)
        XCTAssertNil(BSONValue.int32(1).boolValue)
        XCTAssertNil(BSONValue.string("true").boolValue)
        XCTAssertEqual(samples.compactMap(\.boolValue), [true])
    }

    func testDoubleValue() {
        XCTAssertEqual(BSONValue.double(2.5).doubleValue, 2.5)
        XCTAssertNil(BSONValue.int32(2).doubleValue, "an integer is not a double")
        XCTAssertNil(BSONValue.decimal128(BSONDecimal128("2.5")!).doubleValue)
        XCTAssertEqual(samples.compactMap(\.doubleValue), [1.5])
    }

    func testIntegerValueIsStrict() {
        XCTAssertEqual(BSONValue.int32(-5).integerValue, -5)
        XCTAssertEqual(BSONValue.int32(.max).integerValue, Int64(Int32.max))
        XCTAssertEqual(BSONValue.int64(.min).integerValue, .min)
        XCTAssertNil(BSONValue.double(1.0).integerValue, "a whole double is still not an integer")
        XCTAssertNil(BSONValue.string("1").integerValue)
        XCTAssertNil(BSONValue.datetime(1).integerValue)
        XCTAssertNil(BSONValue.timestamp(seconds: 1, increment: 1).integerValue)
        XCTAssertEqual(samples.compactMap(\.integerValue), [3, 4])
    }

    func testDatetimeValue() {
        XCTAssertEqual(BSONValue.datetime(-62_135_596_800_000).datetimeValue, -62_135_596_800_000)
        XCTAssertNil(BSONValue.int64(1).datetimeValue, "a number is not a time")
        XCTAssertNil(BSONValue.string("2025-01-30T09:15:00Z").datetimeValue, "an ISO string is not a time")
        XCTAssertNil(BSONValue.timestamp(seconds: 1, increment: 0).datetimeValue)
        XCTAssertEqual(samples.compactMap(\.datetimeValue), [7])
    }

    func testNumericValue() {
        XCTAssertEqual(BSONValue.double(-0.5).numericValue, -0.5)
        XCTAssertEqual(BSONValue.int32(7).numericValue, 7)
        XCTAssertEqual(BSONValue.int64(1 << 40).numericValue, Double(1 << 40))
        XCTAssertNil(BSONValue.string("7").numericValue)
        XCTAssertNil(BSONValue.bool(true).numericValue)
        XCTAssertNil(BSONValue.decimal128(BSONDecimal128("7")!).numericValue)
        XCTAssertEqual(samples.compactMap(\.numericValue), [1.5, 3, 4])
    }

    // MARK: - Literals

    func testIntegerLiteralsPickTheSmallestType() {
        let small: BSONValue = 42
        let negative: BSONValue = -2_147_483_648
        let large: BSONValue = 2_147_483_648
        let veryNegative: BSONValue = -2_147_483_649
        XCTAssertEqual(small, .int32(42))
        XCTAssertEqual(negative, .int32(Int32.min))
        XCTAssertEqual(large, .int64(2_147_483_648))
        XCTAssertEqual(veryNegative, .int64(-2_147_483_649))
    }

    func testOtherLiterals() {
        let string: BSONValue = "text"
        let double: BSONValue = 2.0
        let bool: BSONValue = false
        let null: BSONValue = nil
        let array: BSONValue = [1, "a", nil]
        let document: BSONValue = ["b": 2, "a": 1]
        XCTAssertEqual(string, .string("text"))
        XCTAssertEqual(double, .double(2.0))
        XCTAssertEqual(bool, .bool(false))
        XCTAssertEqual(null, .null)
        XCTAssertEqual(array, .array([.int32(1), .string("a"), .null]))
        XCTAssertEqual(document, .document(BSONDocument([("b", .int32(2)), ("a", .int32(1))])))
        XCTAssertEqual(document.documentValue?.keys, ["b", "a"])
    }

    func testEqualityIsByCaseAndPayload() {
        XCTAssertNotEqual(BSONValue.int32(1), .int64(1))
        XCTAssertNotEqual(BSONValue.string("a"), .symbol("a"))
        XCTAssertNotEqual(BSONValue.binary(subtype: 0, data: [1]), .binary(subtype: 4, data: [1]))
        XCTAssertNotEqual(BSONValue.timestamp(seconds: 1, increment: 2), .timestamp(seconds: 2, increment: 1))
        XCTAssertEqual(Set(samples).count, samples.count)
    }
}
