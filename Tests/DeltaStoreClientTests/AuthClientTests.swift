import DeltaStoreClient
import Foundation
import XCTest

/// The auth operations' typed results, through a whole session's life.
final class AuthClientTests: ClientTestCase {
    func testRegisterLoginVerifyRefreshLogout() async throws {
        let client = makeClient()
        let registered = try await client.register(email: "  Ann@Example.COM ", password: "password123", name: "Ann")
        XCTAssertEqual(registered.user.email, "ann@example.com")
        XCTAssertEqual(registered.user.name, "Ann")
        XCTAssertFalse(registered.user.id.isEmpty)
        XCTAssertGreaterThan(registered.expiresAt, Date())
        XCTAssertGreaterThan(try XCTUnwrap(registered.refreshExpiresAt), registered.expiresAt)

        let session = try await client.login(email: "ann@example.com", password: "password123")
        XCTAssertEqual(session.user, registered.user)
        let verified = try await client.verify(token: session.token)
        XCTAssertEqual(verified.userID, registered.user.id)
        XCTAssertEqual(verified.email, "ann@example.com")
        XCTAssertEqual(verified.expiresAt, session.expiresAt)

        let refreshed = try await client.refresh(refreshToken: session.refreshToken)
        XCTAssertNotEqual(refreshed.refreshToken, session.refreshToken)
        let again = try await client.verify(token: refreshed.token)
        XCTAssertEqual(again.userID, registered.user.id)
        // An access token is not a refresh token.
        await expectError(.TOKEN_INVALID) { try await client.refresh(refreshToken: refreshed.token) }

        let revoked = try await client.logout(refreshToken: refreshed.refreshToken)
        XCTAssertEqual(revoked, 1)
        await expectError(.TOKEN_REVOKED) { try await client.verify(token: refreshed.token) }
        // The other session (from register) is still valid.
        _ = try await client.verify(token: registered.token)
        let all = try await client.logout(token: registered.token, allSessions: true)
        XCTAssertGreaterThanOrEqual(all, 1)
        await expectError(.TOKEN_REVOKED) { try await client.verify(token: registered.token) }
    }

    func testClientNamesTheEndUserForTheThrottle() async throws {
        let client = makeClient()
        _ = try await client.register(email: "bob@example.com", password: "password123", client: "192.0.2.10")
        for index in 0..<20 {
            await expectError(.UNAUTHENTICATED) { try await client.login(email: "victim\(index)@example.com", password: "guess", client: "198.51.100.7") }
        }
        await expectError(.RATE_LIMITED) { try await client.login(email: "victim20@example.com", password: "guess", client: "198.51.100.7") }
        let bob = try await client.login(email: "bob@example.com", password: "password123", client: "192.0.2.10")
        XCTAssertEqual(bob.user.email, "bob@example.com", "another client is untouched")
        await expectError(.INVALID_ARGUMENT) { try await client.login(email: "bob@example.com", password: "password123", client: "") }
    }
}
