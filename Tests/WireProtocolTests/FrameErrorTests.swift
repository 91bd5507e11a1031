import WireProtocol
import XCTest

final class FrameErrorTests: XCTestCase {
    func testDescriptions() {
        XCTAssertEqual(FrameError.lengthTooSmall(3).description, "frame length 3 is below the minimum of 5 bytes")
        XCTAssertEqual(FrameError.lengthTooSmall(-1).description, "frame length -1 is below the minimum of 5 bytes")
        XCTAssertEqual(FrameError.lengthTooLarge(length: 20_000_000, maximum: 16_777_216).description,
                       "frame length 20000000 exceeds the maximum of 16777216 bytes")
        XCTAssertEqual(FrameError.truncated(received: 7, expected: 22).description, "stream ended after 7 of 22 bytes of a frame")
        XCTAssertEqual(FrameError.invalidDocument("why").description, "frame is not a valid BSON document: why")
        XCTAssertEqual(FrameError.timedOut(milliseconds: 2000).description,
                       "frame not completed within 2000 ms of its first byte (time the server was not reading excluded)")
    }
}
