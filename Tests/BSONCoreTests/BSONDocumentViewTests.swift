import BSONCore
import XCTest

/// `BSONDocumentView`: documents read where their bytes are, as the server
/// reads frames. Checked against the owned reading (libbson's iterator) on
/// every valid document of the BSON corpus.
final class BSONDocumentViewTests: XCTestCase {
    func testElementsAgreeWithTheOwnedReadingOnTheWholeCorpus() throws {
        let corpus = try loadCorpus()
        var compared = 0
        for test in corpus.valid {
            let (document, _) = try BSONDocument.validatingSpecification(test.canonicalBSON)
            let owned = document.elements
            var seen: [(key: String, type: String)] = []
            document.withView { view in
                view.forEachElement { element in
                    seen.append((element.keyString, element.typeName))
                    return true
                }
            }
            XCTAssertEqual(seen.map(\.key), owned.map(\.key), test.name)
            XCTAssertEqual(seen.map(\.type), owned.map(\.value.typeName), test.name)
            compared += 1
        }
        XCTAssertEqual(compared, corpus.valid.count)
    }

    func testValuesReadInPlace() {
        let inner: BSONDocument = ["token": "abc"]
        let document: BSONDocument = ["i": .int32(-7), "l": .int64(1 << 40), "s": "héllo", "d": .document(inner), "b": true]
        document.withView { view in
            var values: [String: BSONElementView] = [:]
            view.forEachElement { values[$0.keyString] = $0; return true }
            XCTAssertEqual(values["i"]?.int32Value, -7)
            XCTAssertEqual(values["i"]?.integerValue, -7)
            XCTAssertEqual(values["l"]?.int64Value, 1 << 40)
            XCTAssertNil(values["l"]?.int32Value)
            XCTAssertEqual(values["s"]?.stringValue, "héllo")
            XCTAssertEqual(values["s"].flatMap { $0.utf8Bytes.map(Array.init) }, Array("héllo".utf8))
            XCTAssertNil(values["b"]?.stringValue)
            XCTAssertTrue(values["i"]?.keyEquals("i") ?? false)
            XCTAssertFalse(values["s"]?.keyEquals("ss") ?? true)
            let embedded = values["d"]?.documentValue
            XCTAssertEqual(embedded.map(BSONDocument.init(copying:)), inner)
        }
    }

    func testIterationStopsWhenAskedTo() {
        let document: BSONDocument = ["a": 1, "b": 2, "c": 3]
        var keys: [String] = []
        document.withView { view in
            view.forEachElement { keys.append($0.keyString); return keys.count < 2 }
        }
        XCTAssertEqual(keys, ["a", "b"])
    }

    func testValidationInPlaceAgreesWithTheOwnedValidation() throws {
        let corpus = try loadCorpus()
        for test in corpus.valid {
            let owned = try BSONDocument.validatingSpecification(test.canonicalBSON).firstEmbeddedNUL
            let inPlace = try test.canonicalBSON.withUnsafeBytes { try BSONDocument.validateSpecification($0) }
            XCTAssertEqual(inPlace, owned, test.name)
        }
        for test in corpus.decodeErrors {
            XCTAssertThrowsError(try test.bson.withUnsafeBytes { try BSONDocument.validateSpecification($0) }, test.name)
        }
    }

    func testEveryTypeCodeHasTheNameOfItsValues() {
        let values: [BSONValue] = [
            .double(1), .string("s"), .document([:]), .array([]), .binary(subtype: 0, data: [1]), .undefined,
            .objectID(BSONObjectID()), .bool(true), .datetime(0), .null, .regex(pattern: "a", options: "i"),
            .dbPointer(collection: "c", id: BSONObjectID()), .javascript("x"), .symbol("y"),
            .javascriptWithScope(code: "z", scope: [:]), .int32(1), .timestamp(seconds: 1, increment: 2), .int64(1),
            .decimal128(BSONDecimal128(low: 0, high: 0x3040_0000_0000_0000)), .minKey, .maxKey,
        ]
        for value in values {
            let document = BSONDocument([("v", value)])
            XCTAssertEqual(BSONValue.typeName(code: document.bytes[4]), value.typeName)
        }
    }
}
