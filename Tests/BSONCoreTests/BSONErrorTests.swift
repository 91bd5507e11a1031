import BSONCore
import XCTest

final class BSONErrorTests: XCTestCase {
    func testDescriptions() {
        XCTAssertEqual(BSONError.invalidDocument("bad length").description, "invalid BSON document: bad length")
        XCTAssertEqual(BSONError.tooDeep(limit: 100).description, "BSON document nested deeper than 100 levels")
        XCTAssertEqual(BSONError.invalidExtendedJSON("unexpected token").description, "invalid extended JSON: unexpected token")
    }

    func testValidationErrorsSayWhatWasWrong() {
        XCTAssertThrowsError(try BSONDocument(validating: [6, 0, 0, 0, 0])) { error in
            XCTAssertEqual("\(error)", "invalid BSON document: length prefix says 6 bytes, document has 5")
        }
    }

    func testExtendedJSONErrorsCarryLibbsonsMessage() {
        XCTAssertThrowsError(try BSONDocument(extendedJSON: "{")) { error in
            guard case .invalidExtendedJSON(let reason) = error as? BSONError else { return XCTFail("\(error)") }
            XCTAssertFalse(reason.isEmpty, "libbson's message is kept")
        }
    }
}
