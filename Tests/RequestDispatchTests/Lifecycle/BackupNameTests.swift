import RequestDispatch
import WireProtocol
import XCTest

final class BackupNameTests: XCTestCase {
    func testValidNamesPassAndOthersAreInvalidArguments() throws {
        for name in ["a", "nightly-2026.12.03_1", String(repeating: "x", count: 64), "Z9"] {
            XCTAssertEqual(try BackupName.validate(name), name)
        }
        for name in ["", String(repeating: "x", count: 65), "../up", "a/b", ".hidden", "..", "sp ace", "naïve", "a\u{0}b", "semi;colon"] {
            XCTAssertThrowsError(try BackupName.validate(name), name) { error in
                XCTAssertEqual((error as? WireError)?.code, .invalidArgument, name)
                XCTAssertEqual((error as? WireError)?.details?["field"], "name", name)
            }
        }
    }

    func testTheDefaultNameIsTheUTCTimeAndAValidName() throws {
        XCTAssertEqual(BackupName.timestamp(milliseconds: 0), "19700101T000000.000Z")
        XCTAssertEqual(BackupName.timestamp(milliseconds: 1_738_228_500_007), "20250130T091500.007Z")
        XCTAssertEqual(BackupName.timestamp(milliseconds: 951_825_599_999), "20000229T115959.999Z", "a leap day")
        XCTAssertEqual(BackupName.timestamp(milliseconds: 4_102_444_800_000), "21000101T000000.000Z")
        let now = BackupName.timestamp(milliseconds: BackupName.nowMilliseconds())
        XCTAssertEqual(try BackupName.validate(now), now)
    }
}
