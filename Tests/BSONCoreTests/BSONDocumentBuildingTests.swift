import BSONCore
import TestSupport
import XCTest

/// Building documents: `init(_ elements:)`, `appending`, `removing`, `setting`.
final class BSONDocumentBuildingTests: XCTestCase {
    /// Every built document must pass the same validation as a frame.
    private func assertValid(_ document: BSONDocument, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNoThrow(try BSONDocument(validating: document.bytes), "\(document)", file: file, line: line)
    }

    // MARK: - Corpus

    /// canonical_bson → elements → `BSONDocument(elements)` gives the canonical bytes.
    func testCorpusReEncodingElementsGivesCanonicalBytes() throws {
        let corpus = try loadCorpus()
        var checked = 0
        for test in corpus.valid where BSONDocumentValidationTests.embeddedNULPolicy[test.name] == nil {
            guard let document = try? BSONDocument(validating: test.canonicalBSON) else {
                XCTFail("\(test.name): canonical_bson rejected"); continue
            }
            let rebuilt = BSONDocument(document.elements.map { ($0.key, $0.value) })
            XCTAssertEqual(hexString(rebuilt.bytes), hexString(test.canonicalBSON), test.name)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 500)
    }

    /// degenerate_bson → elements → `BSONDocument(elements)` gives the canonical
    /// bytes (array indexes renumbered, regex options sorted, ...).
    func testCorpusReEncodingDegenerateElementsGivesCanonicalBytes() throws {
        let corpus = try loadCorpus()
        let degenerate = corpus.valid.filter { $0.degenerateBSON != nil }
        XCTAssertFalse(degenerate.isEmpty)
        for test in degenerate {
            guard let document = try? BSONDocument(validating: test.degenerateBSON!) else {
                XCTFail("\(test.name): degenerate_bson rejected"); continue
            }
            let rebuilt = BSONDocument(document.elements.map { ($0.key, $0.value) })
            XCTAssertEqual(hexString(rebuilt.bytes), hexString(test.canonicalBSON), test.name)
        }
    }

    // MARK: - init(_ elements:)

    func testInitKeepsOrderAndIsValid() {
        let pairs: [(String, BSONValue)] = [("z", 1), ("a", "x"), ("m", ["k": true])]
        let document = BSONDocument(pairs)
        XCTAssertEqual(document.keys, ["z", "a", "m"])
        XCTAssertEqual(document.elements.map(\.value), [1, "x", ["k": true]])
        assertValid(document)
    }

    func testInitWithNoElementsIsTheEmptyDocument() {
        let document = BSONDocument([(String, BSONValue)]())
        XCTAssertEqual(document.bytes, [5, 0, 0, 0, 0])
        XCTAssertEqual(document, BSONDocument())
    }

    func testInitProducesExactBytes() {
        // {"a": int32 1, "b": "c"} spelled out by hand.
        let document: BSONDocument = ["a": 1, "b": "c"]
        let expected = RawBSON.document(RawBSON.element(0x10, "a", RawBSON.int32(1)), RawBSON.element(0x02, "b", RawBSON.string(Array("c".utf8))))
        XCTAssertEqual(document.bytes, expected)
    }

    func testInitKeepsDuplicateKeysAsGiven() {
        let document = BSONDocument([("k", 1), ("k", 2)])
        XCTAssertEqual(document.keys, ["k", "k"])
        assertValid(document)
    }

    func testKeyIsCutAtItsFirstNUL() {
        let document = BSONDocument([("ab\u{0}cd", 1)])
        XCTAssertEqual(document.keys, ["ab"])
        assertValid(document)
    }

    func testStringWithEmbeddedNULIsEncodedWhole() {
        // The builder keeps the string's length; validation is what refuses it.
        let document: BSONDocument = ["s": .string("a\u{0}b")]
        XCTAssertEqual(document["s"], .string("a\u{0}b"))
        XCTAssertThrowsError(try BSONDocument(validating: document.bytes))
    }

    func testArraysAreEncodedWithIndexKeys() {
        let document: BSONDocument = ["a": ["x", "y", "z"]]
        let array = RawBSON.document(
            RawBSON.element(0x02, "0", RawBSON.string(Array("x".utf8))),
            RawBSON.element(0x02, "1", RawBSON.string(Array("y".utf8))),
            RawBSON.element(0x02, "2", RawBSON.string(Array("z".utf8)))
        )
        XCTAssertEqual(document.bytes, RawBSON.document(RawBSON.element(0x04, "a", array)))
    }

    func testEveryTypeRoundTripsThroughElements() {
        let document = BSONDocumentReadingTests.everyType
        assertValid(document)
        let rebuilt = BSONDocument(document.elements.map { ($0.key, $0.value) })
        XCTAssertEqual(rebuilt.bytes, document.bytes)
    }

    func testLargeDocument() {
        let pairs = (0..<5_000).map { ("key\($0)", BSONValue.int64(Int64($0) * 1_000_000_007)) }
        let document = BSONDocument(pairs)
        XCTAssertEqual(document.keys.count, 5_000)
        XCTAssertEqual(document["key4999"], .int64(4999 * 1_000_000_007))
        assertValid(document)
    }

    // MARK: - appending

    func testAppendingAddsAtTheEnd() {
        let document: BSONDocument = ["a": 1, "b": 2]
        let appended = document.appending("c", "three")
        XCTAssertEqual(appended.keys, ["a", "b", "c"])
        XCTAssertEqual(appended["c"], "three")
        XCTAssertEqual(appended, ["a": 1, "b": 2, "c": "three"], "same bytes as building it at once")
        XCTAssertEqual(document.keys, ["a", "b"], "the original is unchanged")
        assertValid(appended)
    }

    func testAppendingToTheEmptyDocument() {
        let appended = BSONDocument().appending("only", ["nested": [1, 2]])
        XCTAssertEqual(appended, ["only": ["nested": [1, 2]]])
        assertValid(appended)
    }

    func testAppendingAnExistingKeyKeepsBoth() {
        let appended = (["a": 1] as BSONDocument).appending("a", 2)
        XCTAssertEqual(appended.keys, ["a", "a"])
        XCTAssertEqual(appended["a"], 1, "the first one still wins")
        XCTAssertEqual(appended.duplicateKey, "a")
        assertValid(appended)
    }

    func testAppendingManyTimesStaysValid() {
        var document = BSONDocument()
        for index in 0..<300 {
            document = document.appending("k\(index)", .string(String(repeating: "x", count: index)))
        }
        XCTAssertEqual(document.keys.count, 300)
        XCTAssertEqual(document["k299"]?.stringValue?.count, 299)
        assertValid(document)
    }

    // MARK: - removing

    func testRemovingDropsTheKeysAndKeepsOrder() {
        let document: BSONDocument = ["a": 1, "b": 2, "c": 3, "d": 4]
        let removed = document.removing(["b", "d"])
        XCTAssertEqual(removed, ["a": 1, "c": 3])
        assertValid(removed)
    }

    func testRemovingAbsentKeysChangesNothing() {
        let document: BSONDocument = ["a": 1, "b": ["c": 2]]
        XCTAssertEqual(document.removing(["x", "c"]).bytes, document.bytes, "only top-level keys are removed")
        XCTAssertEqual(document.removing([]).bytes, document.bytes)
    }

    func testRemovingEveryKeyGivesTheEmptyDocument() {
        let document: BSONDocument = ["a": 1, "b": 2]
        XCTAssertEqual(document.removing(["a", "b"]).bytes, [5, 0, 0, 0, 0])
    }

    func testRemovingDropsEveryOccurrenceOfADuplicateKey() throws {
        let bytes = RawBSON.document(
            RawBSON.element(0x10, "k", RawBSON.int32(1)),
            RawBSON.element(0x10, "x", RawBSON.int32(2)),
            RawBSON.element(0x10, "k", RawBSON.int32(3))
        )
        let removed = try BSONDocument(validating: bytes).removing(["k"])
        XCTAssertEqual(removed, ["x": 2])
    }

    func testRemovingFromEveryType() {
        let document = BSONDocumentReadingTests.everyType
        let keep = Set(["regex", "javascriptWithScope", "decimal128"])
        let removed = document.removing(Set(document.keys).subtracting(keep))
        XCTAssertEqual(removed.keys, ["regex", "javascriptWithScope", "decimal128"])
        XCTAssertEqual(removed["javascriptWithScope"], document["javascriptWithScope"])
        assertValid(removed)
    }

    // MARK: - setting

    func testSettingReplacesInPlace() {
        let document: BSONDocument = ["a": 1, "b": 2, "c": 3]
        let set = document.setting("b", "two")
        XCTAssertEqual(set, ["a": 1, "b": "two", "c": 3])
        assertValid(set)
    }

    func testSettingAnAbsentKeyAppends() {
        let document: BSONDocument = ["a": 1]
        XCTAssertEqual(document.setting("z", true), ["a": 1, "z": true])
    }

    func testSettingDropsLaterDuplicates() throws {
        let bytes = RawBSON.document(
            RawBSON.element(0x10, "x", RawBSON.int32(0)),
            RawBSON.element(0x10, "k", RawBSON.int32(1)),
            RawBSON.element(0x10, "y", RawBSON.int32(2)),
            RawBSON.element(0x10, "k", RawBSON.int32(3))
        )
        let set = try BSONDocument(validating: bytes).setting("k", "new")
        XCTAssertEqual(set, ["x": 0, "k": "new", "y": 2])
        XCTAssertNil(set.duplicateKey)
    }

    func testSettingANullValue() {
        let document: BSONDocument = ["a": nil, "b": 1]
        // `a` exists (holding null): it is replaced, not appended.
        XCTAssertEqual(document.setting("a", 5), ["a": 5, "b": 1])
    }
}
