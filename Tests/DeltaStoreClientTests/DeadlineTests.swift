#if canImport(Glibc)
import Glibc
#endif
import DeltaStoreClient
import Foundation
import XCTest

/// Per-call deadlines: `deadline_ms` on the wire, and the client's own timer
/// when the server does not answer at all.
final class DeadlineTests: ClientTestCase {
    func testDeadlineMetAndDefaultDeadline() async throws {
        let client = makeClient(defaultDeadline: .milliseconds(150))
        try await client.ping(delayMilliseconds: 20)
        // The default deadline applies to calls that give none...
        await expectError(.DEADLINE_EXCEEDED) { try await client.ping(delayMilliseconds: 1000) }
        // ...and a call's own deadline overrides it.
        try await client.ping(delayMilliseconds: 300, deadline: .seconds(5))
    }

    func testClientTimerWhenTheServerIsStuck() async throws {
        let client = makeClient(timeoutGrace: .milliseconds(200))
        try await client.ping()
        daemon.signal(SIGSTOP)
        defer { daemon.signal(SIGCONT) }
        let started = ContinuousClock.now
        let error = await expectError(.DEADLINE_EXCEEDED) { try await client.ping(deadline: .milliseconds(200)) }
        guard case .timedOut? = error else { return XCTFail("expected the client's timer, got \(String(describing: error))") }
        let waited = ContinuousClock.now - started
        XCTAssertGreaterThanOrEqual(waited, .milliseconds(400))
        XCTAssertLessThan(waited, .seconds(3))
        daemon.signal(SIGCONT)
        // The late reply is discarded and the connection carries on.
        for _ in 0..<4 { try await client.ping(deadline: .seconds(5)) }
    }

    func testCancellingTheTaskWithdrawsTheCall() async throws {
        let client = makeClient()
        let task = Task { try await client.ping(delayMilliseconds: 5000) }
        try await Task.sleep(for: .milliseconds(100))
        let started = ContinuousClock.now
        task.cancel()
        do {
            try await task.value
            XCTFail("a cancelled call returned")
        } catch is CancellationError {
            XCTAssertLessThan(ContinuousClock.now - started, .seconds(1))
        }
        try await client.ping()
    }
}
