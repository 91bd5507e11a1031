import BSONCore
import Foundation
import XCTest

final class BSONObjectIDTests: XCTestCase {
    func testHexRoundTrip() throws {
        let hex = "56e1fc72e0c917e9c4714161"
        let id = try XCTUnwrap(BSONObjectID(hex: hex))
        XCTAssertEqual(id.bytes, [0x56, 0xE1, 0xFC, 0x72, 0xE0, 0xC9, 0x17, 0xE9, 0xC4, 0x71, 0x41, 0x61])
        XCTAssertEqual(id.hex, hex)
        XCTAssertEqual(id.description, hex)
        XCTAssertEqual(BSONObjectID(hex: id.hex), id)
    }

    func testUppercaseHexIsAcceptedAndPrintedLowercase() throws {
        let id = try XCTUnwrap(BSONObjectID(hex: "ABCDEF0123456789ABCDEF01"))
        XCTAssertEqual(id.hex, "abcdef0123456789abcdef01")
        XCTAssertEqual(id, BSONObjectID(hex: "abcdef0123456789abcdef01"))
    }

    func testEveryByteValueRoundTrips() throws {
        for start in stride(from: 0, to: 256, by: 12) {
            let bytes = (0..<12).map { UInt8((start + $0) % 256) }
            let id = try XCTUnwrap(BSONObjectID(bytes: bytes))
            XCTAssertEqual(BSONObjectID(hex: id.hex)?.bytes, bytes)
        }
    }

    func testInvalidHexIsRejected() {
        for hex in ["", "56e1fc72e0c917e9c471416", "56e1fc72e0c917e9c47141611", "56e1fc72e0c917e9c471416g",
                    "56e1fc72e0c917e9c471416 ", "0x56e1fc72e0c917e9c47141", "56e1fc72-e0c917e9c471416", "é6e1fc72e0c917e9c47141"] {
            XCTAssertNil(BSONObjectID(hex: hex), hex)
        }
    }

    func testBytesMustBeTwelve() {
        XCTAssertNil(BSONObjectID(bytes: []))
        XCTAssertNil(BSONObjectID(bytes: [UInt8](repeating: 1, count: 11)))
        XCTAssertNil(BSONObjectID(bytes: [UInt8](repeating: 1, count: 13)))
        XCTAssertEqual(BSONObjectID(bytes: [UInt8](repeating: 0xAB, count: 12))?.hex, String(repeating: "ab", count: 12))
    }

    func testGeneratedIDsAreUnique() {
        let ids = (0..<1_000).map { _ in BSONObjectID() }
        XCTAssertTrue(ids.allSatisfy { $0.bytes.count == 12 })
        XCTAssertEqual(Set(ids).count, ids.count)
    }

    func testGeneratedIDStartsWithTheCurrentTime() {
        let id = BSONObjectID()
        let seconds = id.bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let now = UInt32(Date().timeIntervalSince1970)
        XCTAssertLessThanOrEqual(abs(Int64(now) - Int64(seconds)), 5)
    }

    func testObjectIDInADocument() throws {
        let id = try XCTUnwrap(BSONObjectID(hex: "000000000000000000000001"))
        let document: BSONDocument = ["_id": .objectID(id)]
        XCTAssertEqual(document["_id"], .objectID(id))
        XCTAssertTrue(try jsonSemanticallyEqual(document.canonicalExtendedJSON, #"{"_id": {"$oid": "000000000000000000000001"}}"#))
    }
}
