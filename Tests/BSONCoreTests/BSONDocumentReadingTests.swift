import BSONCore
import TestSupport
import XCTest

/// Reading a document: subscript, `elements`, `keys`, `duplicateKey`, and the
/// decoding of every BSON type.
final class BSONDocumentReadingTests: XCTestCase {
    static let objectID = BSONObjectID(hex: "56e1fc72e0c917e9c4714161")!

    /// One element of every BSON type, deprecated ones included.
    static let everyType: BSONDocument = [
        "double": .double(-1.25),
        "string": .string("héllo ☆"),
        "document": ["inner": .int32(1), "list": [true, false]],
        "array": [1, "two", ["three": 3], [4]],
        "binary": .binary(subtype: 0x00, data: [0xFF, 0x00, 0x01]),
        "binaryOld": .binary(subtype: 0x02, data: [0x01, 0x02]),
        "uuid": .binary(subtype: 0x04, data: Array(0..<16)),
        "userBinary": .binary(subtype: 0x80, data: []),
        "undefined": .undefined,
        "objectID": .objectID(objectID),
        "bool": .bool(true),
        "datetime": .datetime(1_738_228_500_000),
        "null": .null,
        "regex": .regex(pattern: "^a.c$", options: "im"),
        "dbPointer": .dbPointer(collection: "things", id: objectID),
        "javascript": .javascript("function () { return 1; }"),
        "symbol": .symbol("sym"),
        "javascriptWithScope": .javascriptWithScope(code: "x + 1", scope: ["x": 41]),
        "int32": .int32(Int32.min),
        "timestamp": .timestamp(seconds: 4_000_000_000, increment: 7),
        "int64": .int64(Int64.max),
        "decimal128": .decimal128(BSONDecimal128("1.05E+3")!),
        "minKey": .minKey,
        "maxKey": .maxKey,
    ]

    func testEveryTypeDecodesToWhatWasEncoded() throws {
        let validated = try BSONDocument(validating: Self.everyType.bytes)
        let expected: [(String, BSONValue)] = [
            ("double", .double(-1.25)),
            ("string", .string("héllo ☆")),
            ("document", .document(["inner": .int32(1), "list": [true, false]])),
            ("array", .array([.int32(1), .string("two"), .document(["three": .int32(3)]), .array([.int32(4)])])),
            ("binary", .binary(subtype: 0, data: [0xFF, 0x00, 0x01])),
            ("binaryOld", .binary(subtype: 2, data: [0x01, 0x02])),
            ("uuid", .binary(subtype: 4, data: Array(0..<16))),
            ("userBinary", .binary(subtype: 0x80, data: [])),
            ("undefined", .undefined),
            ("objectID", .objectID(Self.objectID)),
            ("bool", .bool(true)),
            ("datetime", .datetime(1_738_228_500_000)),
            ("null", .null),
            ("regex", .regex(pattern: "^a.c$", options: "im")),
            ("dbPointer", .dbPointer(collection: "things", id: Self.objectID)),
            ("javascript", .javascript("function () { return 1; }")),
            ("symbol", .symbol("sym")),
            ("javascriptWithScope", .javascriptWithScope(code: "x + 1", scope: ["x": .int32(41)])),
            ("int32", .int32(Int32.min)),
            ("timestamp", .timestamp(seconds: 4_000_000_000, increment: 7)),
            ("int64", .int64(Int64.max)),
            ("decimal128", .decimal128(BSONDecimal128("1.05E+3")!)),
            ("minKey", .minKey),
            ("maxKey", .maxKey),
        ]
        let elements = validated.elements
        XCTAssertEqual(elements.count, expected.count)
        for (element, (key, value)) in zip(elements, expected) {
            XCTAssertEqual(element.key, key)
            XCTAssertEqual(element.value, value, key)
            XCTAssertEqual(validated[key], value, "subscript \(key)")
        }
    }

    // MARK: - Subscript

    func testSubscriptFindsTopLevelKeys() {
        let document: BSONDocument = ["a": 1, "b": "two", "c": ["d": 4]]
        XCTAssertEqual(document["a"], .int32(1))
        XCTAssertEqual(document["b"], .string("two"))
        XCTAssertEqual(document["c"], .document(["d": 4]))
    }

    func testSubscriptOfAbsentKeyIsNil() {
        let document: BSONDocument = ["a": 1, "c": ["d": 4]]
        XCTAssertNil(document["b"])
        XCTAssertNil(document["A"], "keys are case-sensitive")
        XCTAssertNil(document["d"], "nested keys are not top-level keys")
        XCTAssertNil(document["c.d"], "no dotted-path lookup")
        XCTAssertNil(BSONDocument()["a"])
    }

    func testSubscriptDistinguishesNullFromAbsent() {
        let document: BSONDocument = ["a": nil]
        XCTAssertEqual(document["a"], .null)
        XCTAssertNil(document["b"])
    }

    func testSubscriptOfEmptyKey() {
        let document: BSONDocument = ["": "empty", "a": 1]
        XCTAssertEqual(document[""], .string("empty"))
    }

    func testSubscriptWithDuplicateKeysReturnsTheFirst() throws {
        let bytes = RawBSON.document(
            RawBSON.element(0x10, "k", RawBSON.int32(1)),
            RawBSON.element(0x10, "other", RawBSON.int32(2)),
            RawBSON.element(0x10, "k", RawBSON.int32(3))
        )
        let document = try BSONDocument(validating: bytes)
        XCTAssertEqual(document["k"], .int32(1))
    }

    // MARK: - elements, keys, duplicateKey

    func testElementsAndKeysKeepDocumentOrder() {
        let document: BSONDocument = ["zeta": 1, "alpha": 2, "mid": 3, "beta": 4]
        XCTAssertEqual(document.keys, ["zeta", "alpha", "mid", "beta"])
        XCTAssertEqual(document.elements.map(\.key), ["zeta", "alpha", "mid", "beta"])
        XCTAssertEqual(document.elements.map(\.value), [1, 2, 3, 4])
    }

    func testElementsOfEmptyDocument() {
        XCTAssertTrue(BSONDocument().elements.isEmpty)
        XCTAssertTrue(BSONDocument().keys.isEmpty)
        XCTAssertNil(BSONDocument().duplicateKey)
    }

    func testElementsKeepDuplicates() throws {
        let bytes = RawBSON.document(
            RawBSON.element(0x10, "k", RawBSON.int32(1)),
            RawBSON.element(0x10, "k", RawBSON.int32(2))
        )
        let document = try BSONDocument(validating: bytes)
        XCTAssertEqual(document.keys, ["k", "k"])
        XCTAssertEqual(document.elements.map(\.value), [.int32(1), .int32(2)])
    }

    func testDuplicateKeyIsNilWithoutDuplicates() {
        let document: BSONDocument = ["a": 1, "b": ["a": 2]]
        XCTAssertNil(document.duplicateKey, "a key repeated in a sub-document is not a duplicate")
    }

    func testDuplicateKeyNamesTheFirstRepeatedKey() throws {
        let bytes = RawBSON.document(
            RawBSON.element(0x10, "a", RawBSON.int32(1)),
            RawBSON.element(0x10, "b", RawBSON.int32(1)),
            RawBSON.element(0x10, "b", RawBSON.int32(2)),
            RawBSON.element(0x10, "a", RawBSON.int32(2))
        )
        // "b" is the first key seen a second time, although "a" appeared first.
        XCTAssertEqual(try BSONDocument(validating: bytes).duplicateKey, "b")
    }

    // MARK: - Nested values

    func testArrayDecodingIgnoresTheStoredIndexKeys() throws {
        // An array whose keys are not "0", "1": legal but degenerate BSON.
        let array = RawBSON.document(RawBSON.element(0x10, "x", RawBSON.int32(10)), RawBSON.element(0x10, "y", RawBSON.int32(20)))
        let document = try BSONDocument(validating: RawBSON.document(RawBSON.element(0x04, "a", array)))
        XCTAssertEqual(document["a"], [10, 20])
    }

    func testNestedDocumentIsItsOwnValidDocument() throws {
        let document: BSONDocument = ["outer": ["inner": ["deepest": "yes"]]]
        let outer = try XCTUnwrap(document["outer"]?.documentValue)
        XCTAssertNoThrow(try BSONDocument(validating: outer.bytes))
        let inner = try XCTUnwrap(outer["inner"]?.documentValue)
        XCTAssertEqual(inner["deepest"], "yes")
    }

    func testEmptyStringsAndBinaries() {
        let document: BSONDocument = ["s": "", "b": .binary(subtype: 0, data: []), "c": .javascript("")]
        XCTAssertEqual(document["s"], .string(""))
        XCTAssertEqual(document["b"], .binary(subtype: 0, data: []))
        XCTAssertEqual(document["c"], .javascript(""))
    }
}
