import BSONCore
import DeltaStoreClient
import Foundation
import XCTest

/// Many tasks sharing one client: every caller gets its own reply, whatever
/// the order replies come in.
final class ConcurrencyTests: ClientTestCase {
    func testManyTasksShareThePool() async throws {
        let client = makeClient(poolSize: 2)
        let writers = 20
        let perWriter = 25
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    let ticks = (0..<perWriter).map { Records.tick("P\(writer)", Double(writer * 1000 + $0 + 1), second: $0, id: "\(writer)-\($0)") }
                    let result = try await client.insertTicks(ticks)
                    XCTAssertEqual(result, InsertResult(inserted: perWriter, duplicates: 0))
                }
                // Readers with delays that finish in reverse order of sending.
                group.addTask {
                    try await client.ping(delayMilliseconds: (writers - writer) * 10)
                }
            }
            try await group.waitForAll()
        }
        // Each product's query answers with that product's own ticks.
        try await withThrowingTaskGroup(of: (Int, TickPage).self) { group in
            for writer in 0..<writers {
                group.addTask { (writer, try await client.ticks(product: "P\(writer)", limit: 1000)) }
            }
            var seen = 0
            for try await (writer, page) in group {
                XCTAssertEqual(page.product, "P\(writer)")
                XCTAssertEqual(page.count, perWriter)
                XCTAssertTrue(page.ticks.allSatisfy { $0["product"] == .string("P\(writer)") })
                seen += 1
            }
            XCTAssertEqual(seen, writers)
        }
        let products = try await client.products()
        XCTAssertEqual(products.count, writers)
    }

    func testConcurrentCallsMoreThanMaxInFlight() async throws {
        let client = makeClient(poolSize: 1)
        let hello = try await client.hello()
        let calls = hello.limits.maxInFlight + 72
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<calls {
                group.addTask { try await client.ping(delayMilliseconds: 100) }
            }
            try await group.waitForAll()
        }
        // Past max_in_flight requests wait on the server: two rounds, not one per call.
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(5))
    }
}
