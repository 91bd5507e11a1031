import BSONCore
import WireProtocol
import XCTest

final class FrameProgressTests: XCTestCase {
    let frame: [UInt8] = (["id": 1, "op": "ping"] as BSONDocument).bytes

    func testWholeFramesLeaveNothingOpen() {
        var progress = FrameProgress()
        XCTAssertEqual(progress.consume(frame + frame), 2)
        XCTAssertFalse(progress.isInsideFrame)
    }

    func testEverySplitPointIsTracked() {
        for split in 1..<frame.count {
            var progress = FrameProgress()
            XCTAssertEqual(progress.consume(Array(frame[..<split])), 0)
            XCTAssertTrue(progress.isInsideFrame, "split at \(split)")
            XCTAssertEqual(progress.consume(Array(frame[split...])), 1)
            XCTAssertFalse(progress.isInsideFrame, "split at \(split)")
        }
    }

    func testByteByByte() {
        var progress = FrameProgress()
        var completed = 0
        for byte in frame + frame + frame.prefix(3) {
            completed += progress.consume([byte])
        }
        XCTAssertEqual(completed, 2)
        XCTAssertTrue(progress.isInsideFrame)
    }

    func testInvalidLengthsEndTracking() {
        var progress = FrameProgress()
        XCTAssertEqual(progress.consume([4, 0, 0, 0]), 0)
        XCTAssertFalse(progress.isInsideFrame, "the decoder rejects it; nothing to wait for")
        XCTAssertEqual(progress.consume([0xff, 0xff, 0xff, 0xff]), 0)
        XCTAssertFalse(progress.isInsideFrame)
    }
}
