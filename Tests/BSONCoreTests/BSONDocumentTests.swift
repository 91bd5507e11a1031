import BSONCore
import XCTest

/// The `BSONDocument` value itself: empty document, size, equality, literals, description.
final class BSONDocumentTests: XCTestCase {
    func testEmptyDocument() {
        let empty = BSONDocument()
        XCTAssertEqual(empty.bytes, [5, 0, 0, 0, 0])
        XCTAssertEqual(empty.byteCount, 5)
        XCTAssertTrue(empty.isEmpty)
    }

    func testNonEmptyDocument() {
        let document: BSONDocument = ["a": 1]
        XCTAssertFalse(document.isEmpty)
        // 4 (length) + 1 (type) + 2 ("a\0") + 4 (int32) + 1 (terminator)
        XCTAssertEqual(document.byteCount, 12)
        XCTAssertEqual(document.bytes.count, 12)
    }

    func testDocumentHoldingAnEmptyDocumentIsNotEmpty() {
        let document: BSONDocument = ["a": [:]]
        XCTAssertFalse(document.isEmpty)
    }

    func testDictionaryLiteralKeepsOrder() {
        let document: BSONDocument = ["id": 1, "op": "ping", "args": ["x": true]]
        XCTAssertEqual(document.keys, ["id", "op", "args"])
        XCTAssertEqual(document["op"], .string("ping"))
    }

    func testEqualityIsByBytesSoOrderMatters() {
        let ab: BSONDocument = ["a": 1, "b": 2]
        let ba: BSONDocument = ["b": 2, "a": 1]
        XCTAssertNotEqual(ab, ba)
        XCTAssertEqual(ab, ["a": 1, "b": 2])
        XCTAssertEqual(Set([ab, ba, ["a": 1, "b": 2]]).count, 2)
    }

    func testEqualityDistinguishesNumericTypes() {
        let int32: BSONDocument = ["n": .int32(1)]
        let int64: BSONDocument = ["n": .int64(1)]
        let double: BSONDocument = ["n": .double(1)]
        XCTAssertNotEqual(int32, int64)
        XCTAssertNotEqual(int32, double)
    }

    func testDescriptionIsRelaxedExtendedJSON() throws {
        let document: BSONDocument = ["a": 1, "when": .datetime(0)]
        XCTAssertEqual(document.description, document.relaxedExtendedJSON)
        XCTAssertTrue(try jsonSemanticallyEqual(document.description, #"{"a": 1, "when": {"$date": "1970-01-01T00:00:00Z"}}"#), document.description)
    }

    func testDocumentsCrossThreads() async {
        // Sendable: a document built here is read, unchanged, in another task.
        let document: BSONDocument = ["k": "v"]
        let read = await Task.detached { document["k"] }.value
        XCTAssertEqual(read, "v")
    }
}
