import Foundation
import NIOConcurrencyHelpers
@testable import Server
import XCTest

/// The daemon-wide memory budget: its two levels, its queue, its wake-ups.
final class MemoryBudgetTests: XCTestCase {
    /// Records the wake-ups a waiter gets.
    final class Wakes: Sendable {
        private let box = NIOLockedValueBox<[Int]>([])
        var all: [Int] { box.withLockedValue { $0 } }
        func waiter(_ id: UInt64) -> MemoryBudget.Waiter {
            MemoryBudget.Waiter(id: id) { [box] bytes in box.withLockedValue { $0.append(bytes) } }
        }
    }

    func testLevels() {
        let budget = MemoryBudget(limit: 800, smallBytes: 10)
        XCTAssertEqual(budget.largeLimit, 700, "an eighth is kept for small holders")
        let wakes = Wakes()
        budget.adjust(650)
        XCTAssertTrue(budget.mayRead(large: true, waiter: wakes.waiter(1)))
        budget.adjust(60)
        XCTAssertFalse(budget.mayRead(large: true, waiter: wakes.waiter(1)), "large holders stop at 700")
        XCTAssertTrue(budget.mayRead(large: false, waiter: wakes.waiter(2)), "small ones go on up to 800")
        budget.adjust(100)
        XCTAssertFalse(budget.mayRead(large: false, waiter: wakes.waiter(2)))
        XCTAssertTrue(budget.isUnderPressure)
        budget.adjust(-20)
        XCTAssertEqual(wakes.all, [0], "the small holder is woken first, the large one still waits")
        budget.adjust(-200)
        XCTAssertEqual(wakes.all, [0, 0])
        XCTAssertFalse(budget.isUnderPressure)
    }

    func testReservationsAreGrantedInOrderAndMadeOnTheWaitersBehalf() {
        let budget = MemoryBudget(limit: 800, smallBytes: 10)
        let first = Wakes(), second = Wakes(), reader = Wakes()
        XCTAssertTrue(budget.reserve(600, waiter: first.waiter(1)))
        XCTAssertEqual(budget.used, 600)
        XCTAssertFalse(budget.reserve(300, waiter: first.waiter(1)))
        XCTAssertFalse(budget.reserve(50, waiter: second.waiter(2)), "no overtaking of an earlier reservation")
        budget.adjust(150)
        XCTAssertFalse(budget.mayRead(large: true, waiter: reader.waiter(3)))
        budget.adjust(-700)
        XCTAssertEqual(first.all, [300])
        XCTAssertEqual(second.all, [50])
        XCTAssertEqual(reader.all, [0])
        XCTAssertEqual(budget.used, 50 + 300 + 50)
    }

    func testABlockedReservationDoesNotBlockReadPermissions() {
        let budget = MemoryBudget(limit: 800, smallBytes: 10)
        let big = Wakes(), small = Wakes()
        budget.adjust(800)
        XCTAssertFalse(budget.reserve(500, waiter: big.waiter(1)))
        XCTAssertFalse(budget.mayRead(large: false, waiter: small.waiter(2)))
        budget.adjust(-100)
        XCTAssertEqual(small.all, [0])
        XCTAssertEqual(big.all, [])
        XCTAssertTrue(budget.isUnderPressure)
    }

    func testPressureIsReportedWhenTheFirstWaiterComesAndTheLastGoes() {
        let changes = NIOLockedValueBox<[Bool]>([])
        let budget = MemoryBudget(limit: 800, smallBytes: 10) { exhausted, _ in changes.withLockedValue { $0.append(exhausted) } }
        let wakes = Wakes()
        budget.adjust(800)
        XCTAssertFalse(budget.mayRead(large: false, waiter: wakes.waiter(1)))
        XCTAssertFalse(budget.mayRead(large: false, waiter: wakes.waiter(2)))
        XCTAssertEqual(changes.withLockedValue { $0 }, [true], "once, for the first waiter")
        budget.adjust(-100)
        XCTAssertEqual(changes.withLockedValue { $0 }, [true, false])
        XCTAssertFalse(budget.reserve(5000, waiter: wakes.waiter(3)))
        budget.cancel(waiterID: 3)
        XCTAssertEqual(changes.withLockedValue { $0 }, [true, false, true, false])
    }

    func testACancelledWaiterIsNeverWoken() {
        let budget = MemoryBudget(limit: 800, smallBytes: 10)
        let wakes = Wakes()
        budget.adjust(800)
        XCTAssertFalse(budget.reserve(100, waiter: wakes.waiter(9)))
        budget.cancel(waiterID: 9)
        XCTAssertFalse(budget.isUnderPressure)
        budget.adjust(-800)
        XCTAssertEqual(wakes.all, [])
        XCTAssertEqual(budget.used, 0)
    }

    func testConcurrentUseLosesNoByteAndNoWakeUp() {
        let budget = MemoryBudget(limit: 1 << 20, smallBytes: 1024)
        let granted = NIOLockedValueBox(0)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for round in 0..<2000 {
                let bytes = 1000 + (round % 7) * 100_000
                let waiter = MemoryBudget.Waiter(id: UInt64(worker * 10_000 + round)) { given in
                    granted.withLockedValue { $0 += 1 }
                    budget.adjust(-given)
                }
                if budget.reserve(bytes, waiter: waiter) {
                    granted.withLockedValue { $0 += 1 }
                    budget.adjust(-bytes)
                }
                budget.adjust(300)
                budget.adjust(-300)
            }
        }
        XCTAssertEqual(granted.withLockedValue { $0 }, 16_000, "every reservation was granted, at once or on wake-up")
        XCTAssertEqual(budget.used, 0)
        XCTAssertFalse(budget.isUnderPressure)
    }

    func testThePressureMonitorFiresOnceABurstIsOver() {
        let fired = expectation(description: "calm")
        let count = NIOLockedValueBox(0)
        let monitor = MemoryPressureMonitor(armBytes: 1000, calmBytes: 100, delay: 0.01, minimumInterval: 0.5) {
            count.withLockedValue { $0 += 1 }
            fired.fulfill()
        }
        let budget = MemoryBudget(limit: 10_000, smallBytes: 10, monitor: monitor)
        budget.adjust(500)
        budget.adjust(-450)
        budget.adjust(1200)
        budget.adjust(-1150)
        budget.adjust(-50)
        budget.adjust(10)
        // A second burst ending at once is coalesced into the call already pending.
        budget.adjust(2000)
        budget.adjust(-2000)
        wait(for: [fired], timeout: 5)
        usleep(100_000)
        XCTAssertEqual(count.withLockedValue { $0 }, 1)
    }

    func testCallsOfThePressureMonitorAreSpaced() {
        let times = NIOLockedValueBox<[Date]>([])
        let second = expectation(description: "second call")
        let monitor = MemoryPressureMonitor(armBytes: 1000, calmBytes: 100, delay: 0.01, minimumInterval: 0.4) {
            let count = times.withLockedValue { $0.append(Date()); return $0.count }
            if count == 2 { second.fulfill() }
        }
        monitor.observe(used: 2000)
        monitor.observe(used: 0)
        usleep(100_000)
        monitor.observe(used: 2000)
        monitor.observe(used: 0)
        wait(for: [second], timeout: 5)
        let calls = times.withLockedValue { $0 }
        XCTAssertGreaterThanOrEqual(calls[1].timeIntervalSince(calls[0]), 0.39)
    }
}
