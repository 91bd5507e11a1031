import NIOCore
import RequestDispatch
import WireProtocol
import XCTest

final class ServerInfoTests: XCTestCase {
    func testDefaultLimits() {
        let limits = ServerInfo.Limits()
        XCTAssertEqual(limits.maxMessageBytes, BSONFrameDecoder.defaultMaximumFrameBytes)
        XCTAssertEqual(limits.maxBatch, 1000)
        XCTAssertEqual(limits.maxPage, 1000)
        XCTAssertEqual(limits.maxInFlight, 128)
    }

    func testUptimeCountsWholeSecondsSinceStart() {
        XCTAssertEqual(ServerInfo(storeKind: "sqlite", startedAt: .now()).uptimeSeconds, 0)
        let uptime = ServerInfo(storeKind: "sqlite", startedAt: .now() - .seconds(90)).uptimeSeconds
        XCTAssertTrue((90...91).contains(uptime), "\(uptime)")
    }
}
