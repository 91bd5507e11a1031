import NIOCore
import RequestDispatch
import XCTest

final class ServerInfoTests: XCTestCase {
    func testUptimeCountsWholeSecondsSinceStart() {
        XCTAssertEqual(ServerInfo(storeKind: "sqlite", startedAt: .now()).uptimeSeconds, 0)
        let uptime = ServerInfo(storeKind: "sqlite", startedAt: .now() - .seconds(90)).uptimeSeconds
        XCTAssertTrue((90...91).contains(uptime), "\(uptime)")
    }
}
