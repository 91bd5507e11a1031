@testable import Auth
import Domain
import NIOConcurrencyHelpers
import Testing

/// Revocations made by another daemon on the same store, learnt through the
/// store's revocation sequence: one cheap read per poll, a load only on change.
@Suite("Revocation watcher")
struct RevocationWatcherTests {
    @Test func aRevocationOnAnotherDaemonReachesThisOneThroughTheSequence() async throws {
        let h = try await Harness.make()
        let login = try await h.register()
        // Another daemon on the same store: its own revocation list.
        let elsewhere = RevocationList(retentionMilliseconds: 930_000)
        let watcher = RevocationWatcher(sessions: h.store, revocations: elsewhere)
        #expect(try await watcher.poll(now: h.clock.now), "the first poll loads")
        #expect(try await watcher.poll(now: h.clock.now) == false, "nothing changed: one sequence read, no load")
        _ = try await h.service.logout(refreshToken: login.tokens.refreshToken, accessToken: nil, allSessions: false, logger: quietLogger)
        #expect(!elsewhere.isRevoked(login.tokens.access.claims.sessionID))
        #expect(try await watcher.poll(now: h.clock.now))
        #expect(elsewhere.isRevoked(login.tokens.access.claims.sessionID))
        #expect(try await watcher.poll(now: h.clock.now) == false)
    }

    /// The store's sessions, with the `since` of every `revokedFamilies` read recorded.
    final class RecordingSessions: SessionRepository, Sendable {
        let store: InMemoryAuthStore
        let reads = NIOLockedValueBox<[Int64]>([])
        init(_ store: InMemoryAuthStore) { self.store = store }
        func create(_ session: Session) async throws { try await store.create(session) }
        func find(tokenHash: [UInt8]) async throws -> Session? { try await store.find(tokenHash: tokenHash) }
        func find(id: String) async throws -> Session? { try await store.find(id: id) }
        func rotate(id: String, to successor: Session, at time: Int64) async throws -> Bool { try await store.rotate(id: id, to: successor, at: time) }
        func revokeFamily(_ familyID: String, at time: Int64, reason: String) async throws -> Int { try await store.revokeFamily(familyID, at: time, reason: reason) }
        func revokeAll(userID: String, at time: Int64, reason: String) async throws -> [String] { try await store.revokeAll(userID: userID, at: time, reason: reason) }
        func deleteExpired(before: Int64) async throws -> Int { try await store.deleteExpired(before: before) }
        func revocationSequence() async throws -> Int64 { try await store.revocationSequence() }
        func revokedFamilies(since: Int64) async throws -> [RevokedFamily] {
            reads.withLockedValue { $0.append(since) }
            return try await store.revokedFamilies(since: since)
        }
    }

    @Test func aChangeIsReadFromThePreviousLoadLessTheOverlapAndNoChangeReadsNothing() async throws {
        let h = try await Harness.make()
        let sessions = RecordingSessions(h.store)
        let watcher = RevocationWatcher(sessions: sessions, revocations: RevocationList(retentionMilliseconds: 930_000), overlapMilliseconds: 60_000)
        let start = h.clock.now
        try await watcher.poll(now: start)
        #expect(sessions.reads.withLockedValue { $0 } == [start - 930_000], "the first load: the whole retention window")
        h.clock.advance(seconds: 600)
        try await watcher.poll(now: h.clock.now)
        #expect(sessions.reads.withLockedValue { $0.count } == 1, "no change: no read")
        let login = try await h.register()
        _ = try await h.service.logout(refreshToken: login.tokens.refreshToken, accessToken: nil, allSessions: false, logger: quietLogger)
        try await watcher.poll(now: h.clock.now)
        #expect(sessions.reads.withLockedValue { $0 } == [start - 930_000, start - 60_000], "since the previous load, less the overlap")
    }
}
