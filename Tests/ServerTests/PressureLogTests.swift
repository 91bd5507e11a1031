import Logging
import NIOCore
@testable import Server
import TestSupport
import XCTest

/// The operator's lines about the memory budget, and their rate limit.
final class PressureLogTests: XCTestCase {
    func testOnePairOfLinesPerIntervalHoweverOftenTheBudgetFills() {
        let records = LogRecords()
        let logger = Logger(label: "pressure") { _ in CapturingLogHandler(records: records) }
        let log = PressureLog(logger: logger, limit: 1000, stallTimeout: .seconds(2), interval: .seconds(60))
        for _ in 0..<5 {
            log.changed(exhausted: true, used: 990)
            log.changed(exhausted: false, used: 10)
        }
        XCTAssertEqual(records.all.map(\.message), [
            "memory budget reached: 990 of 1000 bytes held by frames, requests and unsent replies; the connections holding the most wait, and one that holds memory without progress for 2000 ms is closed",
            "memory budget available again: 10 of 1000 bytes held",
        ])
        XCTAssertEqual(records.all.first?.level, .notice)
        XCTAssertEqual(records.all.first?.metadata["used_bytes"], "990")
    }
}
