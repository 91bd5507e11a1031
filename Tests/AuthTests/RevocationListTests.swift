@testable import Auth
import Domain
import Testing

@Suite("Revocation list")
struct RevocationListTests {
    @Test func familiesAreKeptForTheRetentionThenPruned() async throws {
        let list = RevocationList(retentionMilliseconds: 1000)
        list.add("a", at: 10_000)
        list.merge([RevokedFamily(familyID: "b", revokedAt: 10_500), RevokedFamily(familyID: "a", revokedAt: 9_000)])
        #expect(list.isRevoked("a") && list.isRevoked("b") && !list.isRevoked("c"))
        list.prune(now: 11_000)
        #expect(list.isRevoked("a"), "revoked exactly at the horizon: kept")
        list.prune(now: 11_001)
        #expect(!list.isRevoked("a") && list.isRevoked("b"))
        list.prune(now: 20_000)
        #expect(list.count == 0)
    }

    @Test func itLoadsWhatTheStoreRevokedWithinTheRetention() async throws {
        let store = InMemoryAuthStore()
        let user = User(id: "u1", email: "a@x", name: nil, passwordHash: "h", createdAt: 0, updatedAt: 0)
        try await store.users.create(user)
        for (index, family) in ["old", "recent", "live"].enumerated() {
            try await store.sessions.create(Session(id: "s\(index)", userID: "u1", familyID: family, tokenHash: [UInt8(index)], createdAt: 0, expiresAt: 1_000_000))
        }
        _ = try await store.sessions.revokeFamily("old", at: 1_000, reason: "logout")
        _ = try await store.sessions.revokeFamily("recent", at: 9_500, reason: "logout")
        let list = RevocationList(retentionMilliseconds: 1000)
        try await list.load(from: store.sessions, now: 10_000)
        #expect(list.isRevoked("recent"))
        #expect(!list.isRevoked("old"))
        #expect(!list.isRevoked("live"))
    }
}
