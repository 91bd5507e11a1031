import WireProtocol
import XCTest

final class ErrorCodeTests: XCTestCase {
    /// The whole list, in the order of the design ("Error codes (the whole list)").
    static let designList = [
        "BAD_FRAME", "BAD_REQUEST", "UNKNOWN_OP", "INVALID_ARGUMENT", "NOT_FOUND", "CONFLICT",
        "UNAUTHENTICATED", "TOKEN_EXPIRED", "TOKEN_INVALID", "TOKEN_REVOKED", "PERMISSION_DENIED",
        "RATE_LIMITED", "UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "INTERNAL",
    ]

    func testListMatchesTheDesignExactly() {
        XCTAssertEqual(ErrorCode.allCases.map(\.rawValue), Self.designList)
    }

    func testCodesParseFromTheirText() {
        for text in Self.designList {
            XCTAssertEqual(ErrorCode(rawValue: text)?.rawValue, text)
        }
        XCTAssertNil(ErrorCode(rawValue: "bad_frame"), "codes are case-sensitive")
        XCTAssertNil(ErrorCode(rawValue: "INTERNAL_ERROR"))
        XCTAssertNil(ErrorCode(rawValue: ""))
    }

    func testCodesAreUpperSnakeCase() {
        for code in ErrorCode.allCases {
            XCTAssertTrue(code.rawValue.allSatisfy { $0 == "_" || ("A"..."Z").contains($0) }, code.rawValue)
            XCTAssertFalse(code.rawValue.hasPrefix("_") || code.rawValue.hasSuffix("_"), code.rawValue)
        }
    }

    func testSwiftNames() {
        XCTAssertEqual(ErrorCode.internalError.rawValue, "INTERNAL")
        XCTAssertEqual(ErrorCode.badFrame.rawValue, "BAD_FRAME")
        XCTAssertEqual(ErrorCode.deadlineExceeded.rawValue, "DEADLINE_EXCEEDED")
    }
}
