import BSONCore
import XCTest

final class BSONLibraryTests: XCTestCase {
    func testVersionIsAReleaseNumber() throws {
        let parts = BSONLibrary.version.split(separator: ".")
        XCTAssertGreaterThanOrEqual(parts.count, 3, BSONLibrary.version)
        let major = try XCTUnwrap(Int(parts[0]), BSONLibrary.version)
        let minor = try XCTUnwrap(Int(parts[1]), BSONLibrary.version)
        // Decimal128, extended JSON v2 and bson_validate_with_error need 1.7 or later.
        XCTAssertTrue(major > 1 || (major == 1 && minor >= 7), BSONLibrary.version)
    }
}
