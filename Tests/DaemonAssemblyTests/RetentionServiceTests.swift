@testable import DaemonAssembly
import Domain
import Logging
import NIOConcurrencyHelpers
import RequestDispatch
import ServiceLifecycle
import TestSupport
import XCTest

/// The retention service stops at a graceful shutdown (SIGTERM) even in the
/// middle of a long purge: the daemon does not go on serving until the whole
/// backlog is gone.
final class RetentionServiceTests: XCTestCase {
    /// A backlog of `batches` full batches, each a millisecond long; counts the batches asked for.
    final class BacklogStore: LifecycleStore, Sendable {
        let batches: Int
        let asked = NIOLockedValueBox(0)

        init(batches: Int) { self.batches = batches }

        func purge(_ collection: RecordCollection, before cutoff: Int64, limit: Int) async throws -> Int {
            let call = asked.withLockedValue { count in
                count += 1
                return count
            }
            try? await Task.sleep(for: .milliseconds(1))
            return call < batches ? limit : 0
        }

        func reclaimSpace(pages: Int) async throws -> Bool { false }
        func checkpoint() async throws {}
        func holdings() async throws -> StoreHoldings { StoreHoldings(collections: [:], bytes: 0) }
    }

    func testAGracefulShutdownStopsAPurgeInTheMiddleOfItsBacklog() async throws {
        let store = BacklogStore(batches: 2000)
        let records = LogRecords()
        let logger = Logger(label: "test") { _ in CapturingLogHandler(records: records) }
        let purger = RetentionPurger(store: store, policy: RetentionPolicy([.ticks: 1000]), logger: logger)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: RetentionService(purger: purger, interval: .seconds(60)))], logger: logger
        ))
        let running = Task { try await group.run() }
        while store.asked.withLockedValue({ $0 }) < 5 { try await Task.sleep(for: .milliseconds(1)) }
        await group.triggerGracefulShutdown()
        let atShutdown = store.asked.withLockedValue { $0 }
        try await running.value
        let after = store.asked.withLockedValue { $0 } - atShutdown
        XCTAssertLessThanOrEqual(after, 2, "batches purged after the shutdown began: \(after) of the 2000 in the backlog")
        let purgeLogs = records.all.filter { $0.message.contains("retention purge") }
        XCTAssertFalse(purgeLogs.contains { $0.level >= .warning }, "a shutdown is not a failure: \(purgeLogs.map(\.message))")
        XCTAssertTrue(purgeLogs.contains { $0.message.contains("deleted") && !$0.message.contains("deleted no ticks") }, "what was deleted is logged: \(purgeLogs.map(\.message))")
    }
}
