#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
@testable import Systemd
import XCTest

final class JournalQueueTests: XCTestCase {
    /// A journal that takes entries only while its gate is open.
    final class GatedJournal: @unchecked Sendable {
        private let lock = NIOLock()
        private var open = false
        private var arrivals = 0
        private var received: [JournalQueue.Entry] = []

        func openGate() { lock.withLock { open = true } }

        func take(_ entry: JournalQueue.Entry) {
            lock.withLock { arrivals += 1 }
            while !lock.withLock({ open }) { usleep(1000) }
            lock.withLock { received.append(entry) }
        }

        var entries: [JournalQueue.Entry] { lock.withLock { received } }
        /// Entries the writer has tried to send (taken off the queue).
        var arrived: Int { lock.withLock { arrivals } }
    }

    private func line(_ n: Int) -> JournalQueue.Entry { .line("entry \(n)\n") }

    func testLoggingReturnsWhileTheJournalIsStuck() {
        let journal = GatedJournal()
        let queue = JournalQueue(capacity: 100, notice: { .line("notice: \($0)\n") }, send: journal.take)
        let started = Date()
        for n in 0..<50 { queue.enqueue(line(n)) }
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.5, "enqueue waited for a journal that does not read")
        XCTAssertFalse(queue.flush(seconds: 0.05), "nothing can be sent while the journal is stuck")
        journal.openGate()
        XCTAssertTrue(queue.flush(seconds: 5))
        XCTAssertEqual(journal.entries, (0..<50).map(line), "every entry, in order")
    }

    func testAFullQueueDropsAndThenSaysHowManyWereDropped() {
        let journal = GatedJournal()
        let queue = JournalQueue(capacity: 10, notice: { .line("notice: \($0)\n") }, send: journal.take)
        queue.enqueue(line(0))
        // The writer takes entry 0 off the queue and waits at the gate: the queue is empty again.
        let deadline = Date().addingTimeInterval(5)
        while journal.arrived == 0, Date() < deadline { usleep(1000) }
        XCTAssertEqual(journal.arrived, 1)
        for n in 1...25 { queue.enqueue(line(n)) }
        journal.openGate()
        XCTAssertTrue(queue.flush(seconds: 5))
        let entries = journal.entries
        XCTAssertEqual(entries.first, line(0))
        XCTAssertEqual(Array(entries.dropFirst().prefix(10)), (1...10).map(line), "the first ten that found room")
        XCTAssertEqual(entries.last, .line("notice: 15 log entries dropped: the journal did not keep up\n"))
        XCTAssertEqual(entries.count, 12)
    }
}
