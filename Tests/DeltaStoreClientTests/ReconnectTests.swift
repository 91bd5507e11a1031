#if canImport(Glibc)
import Glibc
#endif
import DeltaStoreClient
import Foundation
import XCTest

/// The daemon restarting in the middle of use: calls in flight fail with a
/// connection error, the next call reconnects, and the data is still there.
final class ReconnectTests: ClientTestCase {
    func testDaemonKilledAndRestartedInTheMiddleOfUse() async throws {
        let client = makeClient(poolSize: 2)
        _ = try await client.insertTicks([Records.tick("NIFTY", 100, second: 0, id: "before")])

        // Calls in flight when the daemon dies fail with a connection error.
        let slow = (0..<4).map { _ in Task { try await client.ping(delayMilliseconds: 5000) } }
        try await Task.sleep(for: .milliseconds(300))
        daemon.signal(SIGKILL)
        for task in slow {
            let outcome = await task.result
            guard case .failure(let error as DeltaStoreError) = outcome else { return XCTFail("expected a connection error, got \(outcome)") }
            XCTAssertTrue(error.isConnectionFailure, "\(error)")
            XCTAssertEqual(error.code, .unavailable)
        }

        // While it is down: a connection error, at once.
        daemon.waitForExit()
        await expectError(.UNAVAILABLE) { try await client.ping() }

        // Back up on the same socket and store: the same client carries on.
        try startDaemon()
        try await client.ping()
        let inserted = try await client.insertTicks([Records.tick("NIFTY", 101, second: 1, id: "after")])
        XCTAssertEqual(inserted.inserted, 1)
        let page = try await client.ticks(product: "NIFTY")
        XCTAssertEqual(page.ticks.map { $0["tick_id"] }, ["after", "before"])
    }

    func testGracefulRestartBetweenCallsIsInvisible() async throws {
        let client = makeClient(poolSize: 3)
        for _ in 0..<3 { try await client.ping() }
        daemon.stop()
        try startDaemon()
        // Every pooled connection was closed by the old daemon; each call
        // reconnects its slot once and succeeds.
        for _ in 0..<6 { try await client.ping() }
        let health = try await client.health()
        XCTAssertTrue(health.isOK)
    }

    func testClosedClientFailsFast() async throws {
        let client = makeClient()
        try await client.ping()
        await client.close()
        await expectError(.UNAVAILABLE) { try await client.ping() }
    }
}
