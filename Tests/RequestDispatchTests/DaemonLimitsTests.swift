import RequestDispatch
import WireProtocol
import XCTest

final class DaemonLimitsTests: XCTestCase {
    func testDefaultsAreTheDaemonOptionsDefaults() {
        let limits = DaemonLimits()
        XCTAssertEqual(limits.maxMessageBytes, BSONFrameDecoder.defaultMaximumFrameBytes)
        XCTAssertEqual(limits.maxBatch, 1000)
        XCTAssertEqual(limits.maxPage, 1000)
        XCTAssertEqual(limits.maxInFlight, 128)
        XCTAssertEqual(limits.maxConnections, 4096)
        XCTAssertEqual(limits.maxConnectionsPerUID, 1024)
        XCTAssertEqual(limits.maxUnsentBytesPerConnection, 1 << 20)
        XCTAssertEqual(limits.maxBufferedBytes, 256 << 20)
        XCTAssertEqual(limits.smallPeerMaxFrameBytes, 65_536)
    }
}
