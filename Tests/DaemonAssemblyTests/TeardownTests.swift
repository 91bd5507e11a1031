@testable import DaemonAssembly
import NIOConcurrencyHelpers
import XCTest

final class TeardownTests: XCTestCase {
    func testStepsCloseNewestFirst() async {
        let closed = NIOLockedValueBox<[String]>([])
        var teardown = Teardown()
        for name in ["event loops", "store threads", "store", "hashing threads"] {
            teardown.add(name) { closed.withLockedValue { $0.append(name) } }
        }
        await teardown.run()
        XCTAssertEqual(closed.withLockedValue { $0 }, ["hashing threads", "store", "store threads", "event loops"])
    }
}
