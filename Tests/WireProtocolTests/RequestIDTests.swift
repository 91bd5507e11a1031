import BSONCore
import WireProtocol
import XCTest

final class RequestIDTests: XCTestCase {
    func testReadsOnlyIntegersAndStrings() {
        XCTAssertEqual(RequestID(.int32(1)), .int32(1))
        XCTAssertEqual(RequestID(.int64(1)), .int64(1))
        XCTAssertEqual(RequestID(.string("x")), .string("x"))
        for value: BSONValue in [.double(1), .bool(false), .null, .symbol("x"), .datetime(1), .document([:]), .array([])] {
            XCTAssertNil(RequestID(value), "\(value)")
        }
    }

    func testKeepsTheBSONType() {
        XCTAssertNotEqual(RequestID.int32(1), RequestID.int64(1))
        XCTAssertEqual(RequestID.int32(1).bsonValue, .int32(1))
        XCTAssertEqual(RequestID.int64(1).bsonValue, .int64(1))
        XCTAssertEqual(RequestID.string("1").bsonValue, .string("1"))
        XCTAssertEqual(Set<RequestID>([.int32(1), .int64(1), .string("1"), .int32(1)]).count, 3)
    }

    func testDescription() {
        XCTAssertEqual(RequestID.int32(-3).description, "-3")
        XCTAssertEqual(RequestID.int64(9_000_000_000).description, "9000000000")
        XCTAssertEqual(RequestID.string("abc").description, "\"abc\"")
    }
}
