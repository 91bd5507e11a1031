import BSONCore
import DeltaStoreClient
import Foundation
import WireProtocol
import XCTest

/// Error replies come back as `DeltaStoreError.server` with the protocol code
/// and details; client-side failures map to their equivalent codes.
final class ErrorMappingTests: ClientTestCase {
    func testArgumentErrorsCarryFieldAndIndex() async throws {
        let client = makeClient()
        let limit = await expectError(.INVALID_ARGUMENT) { try await client.ticks(product: "NIFTY", limit: 0) }
        XCTAssertEqual(limit?.field, "limit")
        let product = await expectError(.INVALID_ARGUMENT) { try await client.ticks(product: "bad product!") }
        XCTAssertEqual(product?.field, "product")
        let cursor = await expectError(.INVALID_ARGUMENT) { try await client.ticks(product: "NIFTY", cursor: "made-up") }
        XCTAssertEqual(cursor?.field, "cursor")

        let good = Records.tick("NIFTY", 1, second: 0, id: "a")
        let bad: BSONDocument = ["product": "NIFTY", "price": 0, "timestamp": .datetime(0)]
        let batch = await expectError(.INVALID_ARGUMENT) { try await client.insertTicks([good, bad]) }
        XCTAssertEqual(batch?.index, 1)
        XCTAssertEqual(batch?.field, "price")
        // All or nothing: the valid first tick was not stored.
        let page = try await client.ticks(product: "NIFTY")
        XCTAssertEqual(page.count, 0)
    }

    func testNotFoundUnknownOpAndBadRequest() async throws {
        let client = makeClient()
        await expectError(.NOT_FOUND) { try await client.latestTick(product: "SENSEX") }
        await expectError(.NOT_FOUND) { try await client.latestChain(product: "NIFTY", expiry: "2025-03-27") }
        await expectError(.NOT_FOUND) { try await client.describe("no.such.op") }
        await expectError(.UNKNOWN_OP) { try await client.call("no.such.op") }
        let reply = try await client.send("ping", ["delay_ms": "50"])
        guard case .failure(let id, let error) = reply else { return XCTFail("expected an error reply, got \(reply)") }
        XCTAssertNotNil(id)
        XCTAssertEqual(error.code, .invalidArgument)
        XCTAssertEqual(error.details?["field"], "delay_ms")
    }

    func testAuthCodes() async throws {
        let client = makeClient()
        _ = try await client.register(email: "taken@example.com", password: "password123")
        await expectError(.CONFLICT) { try await client.register(email: " Taken@Example.com ", password: "password123") }
        let short = await expectError(.INVALID_ARGUMENT) { try await client.register(email: "x@example.com", password: "short") }
        XCTAssertEqual(short?.field, "password")
        await expectError(.UNAUTHENTICATED) { try await client.login(email: "taken@example.com", password: "wrong-password") }
        await expectError(.UNAUTHENTICATED) { try await client.login(email: "nobody@example.com", password: "password123") }
        await expectError(.TOKEN_INVALID) { try await client.verify(token: "not-a-jwt") }
        await expectError(.TOKEN_INVALID) { try await client.refresh(refreshToken: "not-a-refresh-token") }
    }

    func testRepeatedFailedLoginsAreRateLimitedWithRetryAfter() async throws {
        let client = makeClient()
        _ = try await client.register(email: "rl@example.com", password: "password123")
        var limited: DeltaStoreError?
        for _ in 0..<12 {
            do {
                _ = try await client.login(email: "rl@example.com", password: "wrong-password")
            } catch let error as DeltaStoreError where error.code == .rateLimited {
                limited = error
                break
            } catch let error as DeltaStoreError where error.code == .unauthenticated {
                continue
            }
        }
        let error = try XCTUnwrap(limited, "no RATE_LIMITED after 12 failed logins")
        XCTAssertGreaterThan(try XCTUnwrap(error.retryAfterMilliseconds), 0)
    }

    func testServerDeadlineIsDeadlineExceeded() async throws {
        let client = makeClient()
        let started = ContinuousClock.now
        let error = await expectError(.DEADLINE_EXCEEDED) { try await client.ping(delayMilliseconds: 2000, deadline: .milliseconds(100)) }
        // The server's answer, not the client's timer.
        if case .server? = error {} else { XCTFail("expected the server's DEADLINE_EXCEEDED, got \(String(describing: error))") }
        XCTAssertLessThan(ContinuousClock.now - started, .milliseconds(1500))
    }
}

/// A daemon with the smallest `max_message_bytes`: the client takes the
/// limit from `hello` and refuses larger requests without sending them.
final class MessageLimitTests: ClientTestCase {
    override var daemonArguments: [String] { ["--max-message-bytes", "1024"] }

    func testRequestsOverTheHelloLimitAreNotSent() async throws {
        let client = makeClient()
        let hello = try await client.hello()
        XCTAssertEqual(hello.limits.maxMessageBytes, 1024)
        let big = (0..<40).map { Records.tick("NIFTY", 1, second: $0, id: "tick-\($0)") }
        let error = await expectError(.RESOURCE_EXHAUSTED) { try await client.insertTicks(big) }
        guard case .requestTooLarge(let bytes, let limit)? = error else { return XCTFail("expected requestTooLarge, got \(String(describing: error))") }
        XCTAssertGreaterThan(bytes, 1024)
        XCTAssertEqual(limit, 1024)
        // The connection is still fine and nothing was stored.
        let page = try await client.ticks(product: "NIFTY")
        XCTAssertEqual(page.count, 0)
    }
}
