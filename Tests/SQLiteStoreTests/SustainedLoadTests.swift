import BSONCore
import Domain
import Foundation
import RequestDispatch
@testable import SQLiteStore
import XCTest

/// The SQLite lifecycle checks that do sustained work (thousands of inserts
/// while retention or a backup runs). They are XCTest cases, which run one at
/// a time, so their load never overlaps the parallel Swift Testing suites'
/// timing checks and MongoDB stand-in starts.
final class SustainedLoadTests: XCTestCase {
    static let rounds = 20

    /// A day of a feed compressed: each round inserts one "hour" of ticks,
    /// quotes and chains and runs the retention pass (keeping four "hours").
    /// Once the retention window is full, the file (with its WAL) stops
    /// growing: the freed pages are returned and reused.
    func testAStoreWithSteadyInsertsAndARetentionStopsGrowing() async throws {
        try await withStore { store, _ in
            let hour: Int64 = 3_600_000
            let clock = ManualClock(marketOpen)
            var policy = RetentionPolicy()
            for collection in RecordCollection.allCases { policy.retain(collection, milliseconds: 4 * hour) }
            let purger = RetentionPurger(store: store, policy: policy, logger: quietLogger, now: { clock.now })
            var sizes: [Int64] = []
            var fileSizes: [Int64] = []
            var tickID: Int32 = 0
            for round in 0..<Self.rounds {
                let start = marketOpen + Int64(round) * hour
                for batch in 0..<2 {
                    let ticks = try (0..<400).map { n -> Tick in
                        tickID &+= 1
                        return try tick("NIFTY", at: start + Int64(batch * 400 + n) * 1000, price: 100 + Double(n % 7), tickID: .int32(tickID))
                    }
                    try await store.ticks.insert(ticks)
                }
                let quotes = try (0..<60).map { try quote("NIFTY", strike: 100 + Double($0), expiry: "2024-03-28", .call, at: start + 1000) }
                try await store.quotes.insert(quotes)
                let chains = try (0..<6).map { try chain("NIFTY", expiry: "2024-03-28", at: start + Int64($0) * 1000) }
                try await store.chains.insert(chains)
                clock.now = start + hour
                let outcome = await purger.runOnce()
                XCTAssertEqual(outcome.failed, [])
                if round >= 4 { XCTAssertEqual(outcome.deleted[.ticks], 800, "round \(round): one hour of ticks went") }
                sizes.append(try await store.holdings().bytes)
                fileSizes.append(SQLiteMarketStore.size(of: store.path))
            }
            let held = try await store.holdings()
            XCTAssertEqual(held.collections[.ticks]?.count, 4 * 800)
            print("store sizes by round: \(sizes)")
            print("database file by round: \(fileSizes)")
            // Rounds 0-3 fill the window; the first purge (round 4) brings the
            // WAL to its working size. From then on the store must not grow:
            // over the last 10 rounds (20 "hours" inserted in all, 4 kept),
            // no more than 5 % above its size at round 10.
            let settled = sizes[10]
            for (round, size) in sizes.enumerated().dropFirst(11) {
                XCTAssertLessThanOrEqual(size, settled + settled / 20, "round \(round): \(size) bytes, \(settled) at round 10: \(sizes)")
            }
            let settledFile = fileSizes[10]
            XCTAssertLessThanOrEqual(fileSizes.last ?? .max, settledFile + settledFile / 20, "the database file itself: \(fileSizes)")
        }
    }

    /// Inserts go on during the backup; the backup holds every one
    /// acknowledged before it began, and is intact.
    func testABackupDuringInsertsHoldsEverythingAcknowledgedBeforeIt() async throws {
        try await withStore { store, directory in
            for batch in 0..<20 {
                let ticks = try (0..<1000).map { try tick("NIFTY", at: marketOpen + Int64(batch * 1000 + $0), tickID: .int32(Int32(batch * 1000 + $0))) }
                try await store.ticks.insert(ticks)
            }
            let written = Counter()
            let writer = Task {
                var n: Int32 = 1_000_000
                while !Task.isCancelled {
                    n += 1
                    if (try? await store.ticks.insert([try tick("NIFTY", at: marketOpen + Int64(n), tickID: .int32(n))]))?.inserted == 1 { written.add() }
                    try? await Task.sleep(for: .milliseconds(1))
                }
            }
            while written.value < 10 { try await Task.sleep(for: .milliseconds(5)) }
            let acknowledged = 20_000 + written.value
            let outcome = try await store.backup(directory: directory.file("b"), name: "live") { _ in }
            writer.cancel()
            _ = await writer.value
            let report = try BackupFile.verify(path: outcome.path)
            XCTAssertTrue(report.isIntact, "\(report.problems)")
            let ticks = report.records.first { $0.kind == "ticks" }?.count ?? 0
            XCTAssertGreaterThanOrEqual(ticks, Int64(acknowledged), "every tick acknowledged before the backup began")
            XCTAssertLessThanOrEqual(ticks, Int64(20_000 + written.value))
        }
    }
}
