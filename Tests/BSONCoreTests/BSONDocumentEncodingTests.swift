@testable import BSONCore
import TestSupport
import XCTest

/// The Swift encoder of common types must write exactly what libbson writes.
final class BSONDocumentEncodingTests: XCTestCase {
    private func assertSameAsLibBSON(_ pairs: [(String, BSONValue)], file: StaticString = #filePath, line: UInt = #line) {
        let native = BSONNativeEncoder.encode(pairs)
        let reference = BSONDocument(libbsonEncoding: pairs).bytes
        XCTAssertEqual(native, reference, "\(pairs)", file: file, line: line)
        XCTAssertEqual(BSONDocument(pairs).bytes, reference, file: file, line: line)
    }

    func testEveryNativeTypeEncodesAsLibBSONDoes() throws {
        let id = try XCTUnwrap(BSONObjectID(hex: "65e1a0b2c3d4e5f6a7b80001"))
        let inner: BSONDocument = ["a": .int32(1), "b": .string("x")]
        assertSameAsLibBSON([])
        assertSameAsLibBSON([
            ("double", .double(-1.5)), ("nan", .double(.nan)), ("inf", .double(-.infinity)), ("zero", .double(-0.0)),
            ("string", .string("héllo €")), ("empty", .string("")), ("nul inside", .string("a\u{0}b")),
            ("document", .document(inner)), ("emptyDocument", .document(BSONDocument())),
            ("array", .array([.int32(1), .string("two"), .document(inner), .array([.null]), .array([])])),
            ("oid", .objectID(id)), ("true", .bool(true)), ("false", .bool(false)),
            ("datetime", .datetime(-62_135_596_800_000)), ("null", .null),
            ("int32", .int32(.min)), ("int64", .int64(.max)), ("timestamp", .timestamp(seconds: 1_709_284_500, increment: 7)),
        ])
    }

    func testAKeyStopsAtItsFirstNULAsInLibBSON() {
        assertSameAsLibBSON([("ab\u{0}cd", .int32(1)), ("", .bool(true)), ("ключ", .null)])
    }

    func testRarerTypesAreLeftToLibBSONForTheWholeDocument() throws {
        let rare: [BSONValue] = [
            .binary(subtype: 0, data: [1, 2]), .undefined, .regex(pattern: "^a", options: "i"),
            .javascript("1"), .symbol("s"), .minKey, .maxKey,
        ]
        for value in rare {
            XCTAssertNil(BSONNativeEncoder.encode([("a", .int32(1)), ("b", value)]))
            XCTAssertNil(BSONNativeEncoder.encode([("a", .array([.int32(1), .array([value])]))]))
            // An already encoded document holding one is copied as it is.
            let nested = BSONDocument([("c", value)])
            assertSameAsLibBSON([("a", .array([.document(nested)]))])
            // Through the public initializer: libbson's bytes, valid and readable.
            let document = BSONDocument([("a", .int32(1)), ("b", value)])
            XCTAssertEqual(document.bytes, BSONDocument(libbsonEncoding: [("a", .int32(1)), ("b", value)]).bytes)
            XCTAssertNoThrow(try BSONDocument(validating: document.bytes))
        }
    }

    func testRandomTreesOfNativeTypesMatchLibBSON() {
        var random = SeededRandom(seed: 0x9E37_79B9_7F4A_7C15)
        func next() -> UInt64 { random.next() }
        func value(depth: Int) -> BSONValue {
            switch next() % (depth < 3 ? 11 : 9) {
            case 0: return .double(Double(bitPattern: next()))
            case 1: return .string(String(repeating: "é", count: Int(next() % 5)) + String(next() % 1000))
            case 2: return .bool(next() % 2 == 0)
            case 3: return .datetime(Int64(bitPattern: next()))
            case 4: return .null
            case 5: return .int32(Int32(truncatingIfNeeded: next()))
            case 6: return .int64(Int64(bitPattern: next()))
            case 7: return .timestamp(seconds: UInt32(truncatingIfNeeded: next()), increment: UInt32(truncatingIfNeeded: next() >> 32))
            case 8: return .objectID(BSONObjectID())
            case 9: return .array((0..<Int(next() % 4)).map { _ in value(depth: depth + 1) })
            default: return .document(BSONDocument((0..<Int(next() % 4)).map { index in ("k\(index)", value(depth: depth + 1)) }))
            }
        }
        for _ in 0..<2000 {
            assertSameAsLibBSON((0..<Int(next() % 6)).map { index in ("key\(index)", value(depth: 0)) })
        }
    }
}
