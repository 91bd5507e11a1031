import BSONCore
import TestSupport
import XCTest

/// `firstMisnumberedArray`: arrays whose keys are not "0", "1", … in order.
final class BSONDocumentArrayKeysTests: XCTestCase {
    /// `{name: <array with these keys, int32 values>}` as validated bytes.
    static func document(array name: String, keys: [String], around: [[UInt8]] = []) throws -> BSONDocument {
        try BSONDocument(validating: RawBSON.document(around + [RawBSON.array(name, keys: keys)]))
    }

    func testWellNumberedArraysPass() throws {
        XCTAssertNil(try Self.document(array: "a", keys: []).firstMisnumberedArray())
        XCTAssertNil(try Self.document(array: "a", keys: (0..<120).map(String.init)).firstMisnumberedArray())
        let built: BSONDocument = ["calls": [.document(["legs": [1, 2, 3]]), [4, [5]]], "n": 1]
        XCTAssertNil(built.firstMisnumberedArray())
    }

    func testRepeatedSkippedAndMisspelledKeysAreFound() throws {
        let cases: [([String], Int, String)] = [
            (["0", "0"], 1, "0"),
            (["1"], 0, "1"),
            (["0", "2"], 1, "2"),
            (["00"], 0, "00"),
            (["0", "01"], 1, "01"),
            ([""], 0, ""),
            (["a"], 0, "a"),
            (["-0"], 0, "-0"),
            (["1", "0"], 0, "1"),
            ((0..<10).map(String.init) + ["11"], 10, "11"),
        ]
        for (keys, position, key) in cases {
            let found = try XCTUnwrap(try Self.document(array: "ticks", keys: keys).firstMisnumberedArray(), "\(keys)")
            XCTAssertEqual(found, MisnumberedArray(path: "ticks", position: position, key: key), "\(keys)")
            XCTAssertTrue(found.reason.contains("element \(position)"), found.reason)
        }
    }

    /// A misnumbered array inside documents and arrays is named by its path;
    /// with `intoArrayElements: false` the elements of arrays are not entered.
    func testNestedArraysAreNamedByPath() throws {
        let inner = try Self.document(array: "legs", keys: ["0", "0"])
        let element = RawBSON.element(0x03, "0", inner.bytes)
        let calls = RawBSON.element(0x04, "calls", RawBSON.document([element]))
        let outer = RawBSON.element(0x03, "meta", RawBSON.document([calls]))
        let document = try BSONDocument(validating: RawBSON.document([RawBSON.element(0x10, "x", RawBSON.int32(1)), outer]))
        XCTAssertEqual(document.firstMisnumberedArray(), MisnumberedArray(path: "meta.calls.0.legs", position: 1, key: "0"))
        XCTAssertNil(document.firstMisnumberedArray(intoArrayElements: false), "the element of calls is its owner's to check")

        let outerWrong = try Self.document(array: "ticks", keys: ["0", "5"])
        XCTAssertEqual(outerWrong.firstMisnumberedArray(intoArrayElements: false)?.path, "ticks")
    }
}
