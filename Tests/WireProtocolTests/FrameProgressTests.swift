import BSONCore
import WireProtocol
import XCTest

final class FrameProgressTests: XCTestCase {
    let frame: [UInt8] = (["id": 1, "op": "ping"] as BSONDocument).bytes

    func testWholeFramesLeaveNothingOpen() {
        var progress = FrameProgress(maximumFrameBytes: 1024)
        XCTAssertEqual(progress.consume(frame + frame), 2)
        XCTAssertFalse(progress.isInsideFrame)
        XCTAssertNil(progress.currentLength)
    }

    func testEverySplitPointIsTracked() {
        for split in 1..<frame.count {
            var progress = FrameProgress(maximumFrameBytes: 1024)
            XCTAssertEqual(progress.consume(Array(frame[..<split])), 0)
            XCTAssertTrue(progress.isInsideFrame, "split at \(split)")
            XCTAssertEqual(progress.receivedOfCurrentFrame, split)
            XCTAssertEqual(progress.currentLength, split >= 4 ? frame.count : nil, "split at \(split)")
            XCTAssertEqual(progress.consume(Array(frame[split...])), 1)
            XCTAssertFalse(progress.isInsideFrame, "split at \(split)")
        }
    }

    func testByteByByte() {
        var progress = FrameProgress(maximumFrameBytes: 1024)
        var completed = 0
        for byte in frame + frame + frame.prefix(3) {
            completed += progress.consume([byte])
        }
        XCTAssertEqual(completed, 2)
        XCTAssertTrue(progress.isInsideFrame)
    }

    func testStepsNameEachStartAndEnd() {
        var progress = FrameProgress(maximumFrameBytes: 1024)
        var steps: [FrameProgress.Step] = []
        (frame + frame.prefix(6)).withUnsafeBytes { raw in
            var offset = 0
            while true {
                let step = progress.advance(raw, from: &offset)
                steps.append(step)
                if step == .needMore { break }
            }
        }
        XCTAssertEqual(steps, [.started(length: frame.count), .completed(length: frame.count), .started(length: frame.count), .needMore])
    }

    func testLengthsOutOfBoundsStopTracking() {
        var progress = FrameProgress(maximumFrameBytes: 1024)
        XCTAssertEqual(progress.consume(frame + [4, 0, 0, 0] + frame), 1, "the frame after the bad one is not counted")
        XCTAssertEqual(progress.failure, .lengthTooSmall(4))

        var negative = FrameProgress(maximumFrameBytes: 1024)
        negative.consume([0xff, 0xff, 0xff, 0xff])
        XCTAssertEqual(negative.failure, .lengthTooSmall(-1))

        var large = FrameProgress(maximumFrameBytes: 1024)
        large.consume([0x01, 0x04, 0, 0])
        XCTAssertEqual(large.failure, .lengthTooLarge(length: 1025, maximum: 1024))

        var limited = FrameProgress(maximumFrameBytes: 1024, limitReason: "a reason")
        limited.consume([0x01, 0x04, 0, 0])
        XCTAssertEqual(limited.failure, .lengthAboveConnectionLimit(length: 1025, maximum: 1024, reason: "a reason"))
        XCTAssertEqual(limited.failure?.description, "frame length 1025 exceeds this connection's maximum of 1024 bytes (a reason)")
    }
}
