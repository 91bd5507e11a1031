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

    /// An element's whole encoding, taken and read back, on every valid
    /// document of the corpus: the server keeps a request's `id` this way.
    func testElementBytesAreTheEncodingAndReadBack() throws {
        let corpus = try loadCorpus()
        var elements = 0
        for test in corpus.valid {
            let (document, _) = try BSONDocument.validatingSpecification(test.canonicalBSON)
            document.withView { view in
                var offset = 4
                view.forEachElement { element in
                    let bytes = element.elementBytes
                    XCTAssertEqual(bytes.baseAddress, view.bytes.baseAddress.map { $0 + offset }, test.name)
                    offset += bytes.count
                    let again = BSONElementView(elementBytes: bytes)
                    XCTAssertEqual(again?.type, element.type, test.name)
                    XCTAssertEqual(again.map { Array($0.key) }, Array(element.key), test.name)
                    XCTAssertEqual(again.map { Array($0.value) }, Array(element.value), test.name)
                    elements += 1
                    return true
                }
                XCTAssertEqual(offset, view.bytes.count - 1, "\(test.name): the elements cover the document")
            }
        }
        XCTAssertGreaterThan(elements, 100)
        let cut: [UInt8] = [0x10, 0x69, 0x64, 0x00, 1, 0, 0]
        cut.withUnsafeBytes { XCTAssertNil(BSONElementView(elementBytes: $0), "an int32 of 3 bytes is not an element") }
        let unterminated: [UInt8] = [0x10, 0x69, 0x64]
        unterminated.withUnsafeBytes { XCTAssertNil(BSONElementView(elementBytes: $0)) }
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
