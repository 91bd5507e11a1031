import Domain
import Testing

/// Sessions: lookup by token hash, rotation as compare-and-set, family and
/// user revocation, the revocation feed, expiry cleanup.
@Suite("Contract: sessions")
struct SessionRepositoryTests {
    typealias F = AuthFixtures

    @Test(arguments: AuthStoreUnderTest.allCases)
    func aCreatedSessionIsFoundByTokenHashAndByID(_ kind: AuthStoreUnderTest) async throws {
        try await kind.withStore { store in
            let user = F.user(1)
            try await store.users.create(user)
            let session = F.session("s1", user: user, family: "f1", hashSeed: 1)
            try await store.sessions.create(session)
            #expect(try await store.sessions.find(tokenHash: F.hash(1)) == session)
            #expect(try await store.sessions.find(id: "s1") == session)
            #expect(try await store.sessions.find(tokenHash: F.hash(2)) == nil)
            #expect(try await store.sessions.find(id: "s2") == nil)
            #expect(session.isCurrent)
        }
    }

    @Test(arguments: AuthStoreUnderTest.allCases)
    func aDuplicateTokenHashOrIDIsAConflict(_ kind: AuthStoreUnderTest) async throws {
        try await kind.withStore { store in
            let user = F.user(1)
            try await store.users.create(user)
            try await store.sessions.create(F.session("s1", user: user, family: "f1", hashSeed: 1))
            for duplicate in [F.session("s2", user: user, family: "f2", hashSeed: 1), F.session("s1", user: user, family: "f2", hashSeed: 2)] {
                do {
                    try await store.sessions.create(duplicate)
                    Issue.record("duplicate accepted: \(duplicate.id)")
                } catch let error as StoreError {
                    guard case .conflict = error else { Issue.record("expected a conflict, got \(error)"); continue }
                }
            }
            #expect(try await store.sessions.find(id: "s2") == nil)
        }
    }

    @Test(arguments: AuthStoreUnderTest.allCases)
    func rotationMarksTheOldSessionAndStoresTheSuccessorOnce(_ kind: AuthStoreUnderTest) async throws {
        try await kind.withStore { store in
            let user = F.user(1)
            try await store.users.create(user)
            try await store.sessions.create(F.session("s1", user: user, family: "f1", hashSeed: 1))
            let successor = F.session("s2", user: user, family: "f1", hashSeed: 2, createdAt: F.now + 10)
            #expect(try await store.sessions.rotate(id: "s1", to: successor, at: F.now + 10))
            let old = try #require(try await store.sessions.find(id: "s1"))
            #expect(old.rotatedAt == F.now + 10)
            #expect(old.replacedBy == "s2")
            #expect(!old.isCurrent)
            #expect(try await store.sessions.find(tokenHash: F.hash(2)) == successor)

            // A second rotation of the same session writes nothing.
            let other = F.session("s3", user: user, family: "f1", hashSeed: 3)
            #expect(try await store.sessions.rotate(id: "s1", to: other, at: F.now + 20) == false)
            #expect(try await store.sessions.find(id: "s3") == nil)
            #expect(try await store.sessions.find(id: "s1")?.replacedBy == "s2")
            // Nor does rotating an unknown session.
            #expect(try await store.sessions.rotate(id: "nope", to: other, at: F.now + 20) == false)
            #expect(try await store.sessions.find(id: "s3") == nil)
        }
    }

    @Test(arguments: AuthStoreUnderTest.allCases)
    func aRevokedSessionCannotBeRotated(_ kind: AuthStoreUnderTest) async throws {
        try await kind.withStore { store in
            let user = F.user(1)
            try await store.users.create(user)
            try await store.sessions.create(F.session("s1", user: user, family: "f1", hashSeed: 1))
            #expect(try await store.sessions.revokeFamily("f1", at: F.now, reason: "logout") == 1)
            #expect(try await store.sessions.rotate(id: "s1", to: F.session("s2", user: user, family: "f1", hashSeed: 2), at: F.now + 1) == false)
            #expect(try await store.sessions.find(id: "s2") == nil)
        }
    }

    @Test(arguments: AuthStoreUnderTest.allCases)
    func concurrentRotationsOfOneSessionHaveOneWinner(_ kind: AuthStoreUnderTest) async throws {
        try await kind.withStore { store in
            let user = F.user(1)
            try await store.users.create(user)
            try await store.sessions.create(F.session("s0", user: user, family: "f1", hashSeed: 100))
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 1...8 {
                    group.addTask {
                        try await store.sessions.rotate(id: "s0", to: F.session("s\(index)", user: user, family: "f1", hashSeed: index), at: F.now + Int64(index))
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 1)
            let winner = try #require(try await store.sessions.find(id: "s0")?.replacedBy)
            for index in 1...8 where "s\(index)" != winner {
                #expect(try await store.sessions.find(id: "s\(index)") == nil)
            }
        }
    }

    @Test(arguments: AuthStoreUnderTest.allCases)
    func revokingAFamilyRevokesEveryTokenOfItOnly(_ kind: AuthStoreUnderTest) async throws {
        try await kind.withStore { store in
            let user = F.user(1)
            try await store.users.create(user)
            try await store.sessions.create(F.session("a1", user: user, family: "fa", hashSeed: 1))
            #expect(try await store.sessions.rotate(id: "a1", to: F.session("a2", user: user, family: "fa", hashSeed: 2), at: F.now + 1))
            try await store.sessions.create(F.session("b1", user: user, family: "fb", hashSeed: 3))

            #expect(try await store.sessions.revokeFamily("fa", at: F.now + 5, reason: "reuse") == 2)
            for id in ["a1", "a2"] {
                let session = try #require(try await store.sessions.find(id: id))
                #expect(session.revokedAt == F.now + 5)
                #expect(session.revokedReason == "reuse")
            }
            #expect(try await store.sessions.find(id: "b1")?.revokedAt == nil)
            // Again: nothing left to revoke, and the first revocation stands.
            #expect(try await store.sessions.revokeFamily("fa", at: F.now + 9, reason: "logout") == 0)
            #expect(try await store.sessions.find(id: "a1")?.revokedAt == F.now + 5)
            #expect(try await store.sessions.revokeFamily("unknown", at: F.now, reason: "logout") == 0)
        }
    }

    @Test(arguments: AuthStoreUnderTest.allCases)
    func revokingAllOfAUsersSessionsNamesTheirLiveFamilies(_ kind: AuthStoreUnderTest) async throws {
        try await kind.withStore { store in
            let ana = F.user(1)
            let bob = F.user(2)
            try await store.users.create(ana)
            try await store.users.create(bob)
            try await store.sessions.create(F.session("a1", user: ana, family: "fa1", hashSeed: 1))
            #expect(try await store.sessions.rotate(id: "a1", to: F.session("a2", user: ana, family: "fa1", hashSeed: 2), at: F.now + 1))
            try await store.sessions.create(F.session("a3", user: ana, family: "fa2", hashSeed: 3))
            try await store.sessions.create(F.session("a4", user: ana, family: "fa3", hashSeed: 4))
            _ = try await store.sessions.revokeFamily("fa3", at: F.now + 2, reason: "logout")
            try await store.sessions.create(F.session("b1", user: bob, family: "fb1", hashSeed: 5))

            let families = try await store.sessions.revokeAll(userID: ana.id, at: F.now + 10, reason: "logout_all")
            #expect(families.sorted() == ["fa1", "fa2"])
            for id in ["a1", "a2", "a3"] {
                #expect(try await store.sessions.find(id: id)?.revokedAt == F.now + 10)
            }
            #expect(try await store.sessions.find(id: "a4")?.revokedAt == F.now + 2, "an earlier revocation is kept")
            #expect(try await store.sessions.find(id: "b1")?.revokedAt == nil)
            #expect(try await store.sessions.revokeAll(userID: ana.id, at: F.now + 20, reason: "logout_all") == [])
        }
    }

    @Test(arguments: AuthStoreUnderTest.allCases)
    func revokedFamiliesSinceATimeComeOnceWithTheirLatestRevocation(_ kind: AuthStoreUnderTest) async throws {
        try await kind.withStore { store in
            let user = F.user(1)
            try await store.users.create(user)
            try await store.sessions.create(F.session("a1", user: user, family: "fa", hashSeed: 1))
            try await store.sessions.create(F.session("a2", user: user, family: "fa", hashSeed: 2))
            try await store.sessions.create(F.session("b1", user: user, family: "fb", hashSeed: 3))
            try await store.sessions.create(F.session("c1", user: user, family: "fc", hashSeed: 4))
            _ = try await store.sessions.revokeFamily("fb", at: F.now + 100, reason: "logout")
            _ = try await store.sessions.revokeFamily("fa", at: F.now + 200, reason: "logout")
            // A later session in family fa, revoked later still.
            try await store.sessions.create(F.session("a3", user: user, family: "fa", hashSeed: 5))
            _ = try await store.sessions.revokeFamily("fa", at: F.now + 300, reason: "reuse")

            let all = try await store.sessions.revokedFamilies(since: F.now)
            #expect(Set(all) == [RevokedFamily(familyID: "fa", revokedAt: F.now + 300), RevokedFamily(familyID: "fb", revokedAt: F.now + 100)])
            #expect(try await store.sessions.revokedFamilies(since: F.now + 150) == [RevokedFamily(familyID: "fa", revokedAt: F.now + 300)])
            #expect(try await store.sessions.revokedFamilies(since: F.now + 301) == [])
        }
    }

    @Test(arguments: AuthStoreUnderTest.allCases)
    func expiredSessionsAreDeleted(_ kind: AuthStoreUnderTest) async throws {
        try await kind.withStore { store in
            let user = F.user(1)
            try await store.users.create(user)
            try await store.sessions.create(F.session("old", user: user, family: "f1", hashSeed: 1, expiresAt: F.now - 1))
            try await store.sessions.create(F.session("edge", user: user, family: "f2", hashSeed: 2, expiresAt: F.now))
            try await store.sessions.create(F.session("new", user: user, family: "f3", hashSeed: 3, expiresAt: F.now + F.day))
            #expect(try await store.sessions.deleteExpired(before: F.now) == 1)
            #expect(try await store.sessions.find(id: "old") == nil)
            #expect(try await store.sessions.find(id: "edge") != nil)
            #expect(try await store.sessions.find(id: "new") != nil)
        }
    }
}
