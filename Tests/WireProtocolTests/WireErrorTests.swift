import BSONCore
import WireProtocol
import XCTest

final class WireErrorTests: XCTestCase {
    func testDocumentWithoutDetails() {
        let error = WireError(.unavailable, "store is down")
        XCTAssertEqual(error.document, ["code": "UNAVAILABLE", "message": "store is down"])
        XCTAssertEqual(error.document.keys, ["code", "message"])
    }

    func testDocumentWithDetails() {
        let error = WireError(.rateLimited, "slow down", details: ["retry_after_ms": .int64(1500)])
        XCTAssertEqual(error.document.keys, ["code", "message", "details"])
        XCTAssertEqual(error.document["details"], .document(["retry_after_ms": .int64(1500)]))
    }

    func testInvalidArgument() {
        let error = WireError.invalidArgument(field: "limit", reason: "must be between 1 and 1000, got 0")
        XCTAssertEqual(error.code, .invalidArgument)
        XCTAssertEqual(error.message, "limit: must be between 1 and 1000, got 0")
        XCTAssertEqual(error.details, ["field": "limit", "reason": "must be between 1 and 1000, got 0"])
    }

    func testDescription() {
        XCTAssertEqual(WireError(.notFound, "no tick").description, "NOT_FOUND: no tick")
        XCTAssertEqual("\(WireError(.internalError, "x"))", "INTERNAL: x")
    }

    func testEquality() {
        XCTAssertEqual(WireError(.conflict, "a"), WireError(.conflict, "a"))
        XCTAssertNotEqual(WireError(.conflict, "a"), WireError(.conflict, "b"))
        XCTAssertNotEqual(WireError(.conflict, "a"), WireError(.notFound, "a"))
        XCTAssertNotEqual(WireError(.conflict, "a"), WireError(.conflict, "a", details: [:]))
    }

    func testIsThrowable() {
        XCTAssertThrowsError(try { () throws(WireError) in throw WireError(.permissionDenied, "no") }()) { error in
            XCTAssertEqual(error as? WireError, WireError(.permissionDenied, "no"))
        }
    }
}
