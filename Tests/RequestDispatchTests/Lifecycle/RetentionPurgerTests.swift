import Domain
import Foundation
import Logging
import RequestDispatch
import XCTest

/// The purge's batching, against a scripted store: what it asks for, how the
/// batch size follows the time a batch takes, what it does on a failure.
/// (The stores themselves are tested with real SQLite and the MongoDB
/// stand-in in StoreContractTests and SQLiteStoreTests.)
final class RetentionPurgerTests: XCTestCase {
    /// Holds, per collection, how many records lie before any cutoff the
    /// test uses; a batch "takes" `batchTime(limit)` seconds.
    final class ScriptedStore: LifecycleStore, @unchecked Sendable {
        let lock = NSLock()
        var old: [RecordCollection: Int]
        var calls: [(collection: RecordCollection, cutoff: Int64, limit: Int)] = []
        var checkpoints = 0
        var failing: Set<RecordCollection> = []
        let batchTime: @Sendable (Int) -> TimeInterval

        init(old: [RecordCollection: Int], batchTime: @escaping @Sendable (Int) -> TimeInterval = { _ in 0 }) {
            self.old = old
            self.batchTime = batchTime
        }

        func purge(_ collection: RecordCollection, before cutoff: Int64, limit: Int) async throws -> Int {
            let fails = lock.withLock { () -> Bool in
                calls.append((collection, cutoff, limit))
                return failing.contains(collection)
            }
            if fails { throw StoreError.unavailable("scripted outage") }
            let time = batchTime(limit)
            if time > 0 { try await Task.sleep(nanoseconds: UInt64(time * 1_000_000_000)) }
            return lock.withLock {
                let deleted = min(limit, old[collection] ?? 0)
                old[collection] = (old[collection] ?? 0) - deleted
                return deleted
            }
        }

        func reclaimSpace(pages: Int) async throws -> Bool { false }
        func checkpoint() async throws { lock.withLock { checkpoints += 1 } }
        func holdings() async throws -> StoreHoldings { StoreHoldings(collections: [:], bytes: 0) }
    }

    let logger = Logger(label: "purger-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    func testEveryRetainedCollectionIsPurgedUpToNowMinusItsDurationAndOthersAreLeftAlone() async {
        let store = ScriptedStore(old: [.ticks: 1200, .quotes: 10, .chains: 5])
        var policy = RetentionPolicy()
        policy.retain(.ticks, milliseconds: 1000)
        policy.retain(.chains, milliseconds: 1995)
        let purger = RetentionPurger(store: store, policy: policy, logger: logger, now: { 2000 })
        let outcome = await purger.runOnce()
        XCTAssertEqual(outcome.deleted, [.ticks: 1200, .chains: 5])
        XCTAssertEqual(outcome.failed, [])
        XCTAssertEqual(Set(store.calls.filter { $0.collection == .ticks }.map(\.cutoff)), [1000])
        XCTAssertEqual(Set(store.calls.filter { $0.collection == .chains }.map(\.cutoff)), [5])
        XCTAssertEqual(store.old[.quotes], 10, "no retention: untouched")
        XCTAssertFalse(store.calls.contains { $0.collection == .quotes })
        XCTAssertGreaterThanOrEqual(store.checkpoints, store.calls.count, "each batch is checkpointed")
        XCTAssertEqual(store.calls.last { $0.collection == .ticks }.map { $0.limit > 0 }, true)
    }

    func testFastBatchesGrowToTheMaximumAndSlowOnesShrink() async {
        var policy = RetentionPolicy()
        policy.retain(.ticks, milliseconds: 1)
        let fast = ScriptedStore(old: [.ticks: 100_000])
        await RetentionPurger(store: fast, policy: policy, logger: logger, now: { 1_000_000 }).runOnce()
        let fastLimits = fast.calls.map(\.limit)
        XCTAssertEqual(fastLimits.first, RetentionPurger.firstBatchSize)
        XCTAssertEqual(fastLimits.max(), RetentionPurger.batchSizes.upperBound, "\(fastLimits)")
        XCTAssertEqual(fast.old[.ticks], 0)
        XCTAssertTrue(fastLimits.allSatisfy { RetentionPurger.batchSizes.contains($0) })

        // 10 µs per record: 500 records take 5 ms, well over the 2 ms target.
        let slow = ScriptedStore(old: [.ticks: 2000], batchTime: { Double($0) * 0.000_01 })
        await RetentionPurger(store: slow, policy: policy, logger: logger, now: { 1_000_000 }).runOnce()
        let slowLimits = slow.calls.map(\.limit)
        XCTAssertEqual(Array(slowLimits.prefix(3)), [500, 250, 125], "halved while a batch takes over 2 ms: \(slowLimits)")
        XCTAssertTrue(slowLimits.dropFirst(3).allSatisfy { (RetentionPurger.batchSizes.lowerBound...250).contains($0) }, "then kept near 2 ms a batch: \(slowLimits)")
        XCTAssertEqual(slow.old[.ticks], 0)
    }

    func testAFailingCollectionIsReportedAndTheOthersStillPurged() async {
        let store = ScriptedStore(old: [.ticks: 2, .quotes: 2])
        store.failing = [.ticks]
        var policy = RetentionPolicy()
        policy.retain(.ticks, milliseconds: 1)
        policy.retain(.quotes, milliseconds: 1)
        let outcome = await RetentionPurger(store: store, policy: policy, logger: logger, now: { 100 }).runOnce()
        XCTAssertEqual(outcome.failed, [.ticks])
        XCTAssertEqual(outcome.deleted, [.quotes: 2])
    }
}
