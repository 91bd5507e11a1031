import BSONCore
import DeltaStoreClient
import Foundation
import XCTest

/// The README's Swift example ("Clients"), against the daemon.
final class ReadmeExampleTests: ClientTestCase {
    func testReadmeExample() async throws {
        let client = DeltaStoreClient(socketPath: socketPath)
        let result = try await client.insertTicks([
            ["product": "NIFTY", "price": 23500.5, "timestamp": .datetime(Date().bsonMilliseconds), "tick_id": "nifty-1"],
        ])
        let page = try await client.ticks(product: "NIFTY", limit: 100, deadline: .seconds(2))
        var seen = page.count
        // Or every page, following `next` (also quotePages, chainPages):
        for try await more in client.tickPages(product: "NIFTY", limit: 100) { seen += more.count }
        var notFound = false
        do {
            _ = try await client.latestChain(product: "NIFTY", expiry: "2025-01-30")
        } catch let error as DeltaStoreError where error.code == .notFound {
            notFound = true
        }
        await client.close()
        XCTAssertEqual(result.inserted, 1)
        XCTAssertEqual(page.ticks.first?["tick_id"], "nifty-1")
        XCTAssertEqual(seen, 2, "the first page, then the same tick through tickPages")
        XCTAssertTrue(notFound)
    }
}
