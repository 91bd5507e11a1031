@testable import Systemd
import XCTest

final class ServiceNotifierTests: XCTestCase {
    func testMonotonicClockAdvances() {
        let first = ServiceNotifier.monotonicMicroseconds()
        usleep(2000)
        XCTAssertGreaterThan(ServiceNotifier.monotonicMicroseconds(), first + 1000)
    }

    func testWithinReportsWhetherWorkFinishedInTime() async {
        let quick = await Watchdog.within(.milliseconds(500)) {}
        XCTAssertTrue(quick)
        let failing = await Watchdog.within(.milliseconds(500)) { throw CancellationError() }
        XCTAssertFalse(failing)
        let slow = await Watchdog.within(.milliseconds(50)) { try await Task.sleep(nanoseconds: 2_000_000_000) }
        XCTAssertFalse(slow)
    }
}
