import NIOCore
@testable import Systemd
import XCTest

final class WatchdogIntervalTests: XCTestCase {
    func testHalfOfTheWatchdogInterval() {
        XCTAssertEqual(Watchdog.keepAliveInterval(watchdogMicroseconds: 30_000_000), .seconds(15))
        XCTAssertEqual(Watchdog.keepAliveInterval(watchdogMicroseconds: 1), .nanoseconds(0))
    }

    func testAHugeWatchdogValueSaturatesInsteadOfTrapping() {
        XCTAssertEqual(Watchdog.keepAliveInterval(watchdogMicroseconds: UInt64.max), .nanoseconds(Int64.max))
        XCTAssertEqual(Watchdog.keepAliveInterval(watchdogMicroseconds: UInt64(Int64.max) / 500 + 2), .nanoseconds(Int64.max))
    }
}
