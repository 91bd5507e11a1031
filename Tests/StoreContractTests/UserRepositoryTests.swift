import Domain
import Testing

/// Users: unique normalized email, lookups, password-hash updates.
@Suite("Contract: users")
struct UserRepositoryTests {
    @Test(arguments: AuthStoreUnderTest.allCases)
    func aCreatedUserIsFoundByEmailAndByID(_ kind: AuthStoreUnderTest) async throws {
        try await kind.withStore { store in
            let ana = AuthFixtures.user(1, email: "ana@example.com", name: "Ana Ñúñez 🚀")
            try await store.users.create(ana)
            #expect(try await store.users.find(email: "ana@example.com") == ana)
            #expect(try await store.users.find(id: ana.id) == ana)
            #expect(try await store.users.find(email: "bob@example.com") == nil)
            #expect(try await store.users.find(id: "65e1a0b2c3d4e5f6a7b8ffff") == nil)
        }
    }

    @Test(arguments: AuthStoreUnderTest.allCases)
    func aUserWithoutANameRoundTrips(_ kind: AuthStoreUnderTest) async throws {
        try await kind.withStore { store in
            let user = AuthFixtures.user(2, name: nil)
            try await store.users.create(user)
            #expect(try await store.users.find(id: user.id)?.name == nil)
        }
    }

    @Test(arguments: AuthStoreUnderTest.allCases)
    func aTakenNormalizedEmailIsAConflictAndWritesNothing(_ kind: AuthStoreUnderTest) async throws {
        try await kind.withStore { store in
            let first = try EmailAddress(normalizing: "  Ana@Example.COM ")
            let second = try EmailAddress(normalizing: "ana@example.com")
            let ana = AuthFixtures.user(1, email: first.value, name: "first")
            try await store.users.create(ana)
            await #expect(throws: StoreError.self) {
                try await store.users.create(AuthFixtures.user(2, email: second.value, name: "second"))
            }
            do {
                try await store.users.create(AuthFixtures.user(3, email: second.value))
                Issue.record("a taken email must be refused")
            } catch let error as StoreError {
                guard case .conflict = error else { Issue.record("expected a conflict, got \(error)"); return }
            }
            #expect(try await store.users.find(email: "ana@example.com") == ana)
            #expect(try await store.users.find(id: AuthFixtures.user(2).id) == nil)
        }
    }

    @Test(arguments: AuthStoreUnderTest.allCases)
    func aTakenIDIsAConflict(_ kind: AuthStoreUnderTest) async throws {
        try await kind.withStore { store in
            try await store.users.create(AuthFixtures.user(1, email: "a@example.com"))
            do {
                try await store.users.create(AuthFixtures.user(1, email: "b@example.com"))
                Issue.record("a taken id must be refused")
            } catch let error as StoreError {
                guard case .conflict = error else { Issue.record("expected a conflict, got \(error)"); return }
            }
            #expect(try await store.users.find(email: "b@example.com") == nil)
        }
    }

    @Test(arguments: AuthStoreUnderTest.allCases)
    func thePasswordHashCanBeReplaced(_ kind: AuthStoreUnderTest) async throws {
        try await kind.withStore { store in
            let user = AuthFixtures.user(1)
            try await store.users.create(user)
            let newHash = "$2b$12$" + String(repeating: "A", count: 53)
            #expect(try await store.users.updatePasswordHash(userID: user.id, hash: newHash, at: AuthFixtures.now + 5))
            let updated = try #require(try await store.users.find(id: user.id))
            #expect(updated.passwordHash == newHash)
            #expect(updated.updatedAt == AuthFixtures.now + 5)
            #expect(updated.createdAt == user.createdAt)
            #expect(try await store.users.updatePasswordHash(userID: "65e1a0b2c3d4e5f6a7b8ffff", hash: newHash, at: 1) == false)
        }
    }
}
