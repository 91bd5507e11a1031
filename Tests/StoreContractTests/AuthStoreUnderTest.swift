import Domain
import SQLiteStore
import TestSupport

/// The stores the auth contract suite (`UserRepositoryTests`,
/// `SessionRepositoryTests`) runs against: its own small factory, apart
/// from `StoreUnderTest`, so the market-data and auth suites can gain stores
/// independently.
///
/// A store joins by conforming to `Domain.AuthStore` and getting a case here;
/// every test then runs against it too.
enum AuthStoreUnderTest: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    /// `MongoMarketStore`, opened as `StoreUnderTest.mongodb` opens it:
    /// through the stand-in, or a throwaway database on the real MongoDB of
    /// `DELTASTORE_TEST_MONGODB_URI`.
    case mongodb

    var description: String { rawValue }

    /// Runs `body` with a fresh, empty store, then closes it and removes its data.
    func withStore<T: Sendable>(_ body: (any AuthStore) async throws -> T) async throws -> T {
        switch self {
        case .sqlite:
            let directory = try TemporaryDirectory(prefix: "ds-auth-contract")
            let store = try await SQLiteMarketStore.open(path: directory.file("data/auth.sqlite"), threadPool: .singleton, logger: quietLogger)
            do {
                let result = try await body(store)
                await store.close()
                directory.remove()
                return result
            } catch {
                await store.close()
                directory.remove()
                throw error
            }
        case .mongodb:
            let handle = try await StoreUnderTest.mongodb.make()
            do {
                guard let store = handle.store as? any AuthStore else { throw TestSupportError("MongoMarketStore is not an AuthStore") }
                let result = try await body(store)
                await handle.dispose()
                return result
            } catch {
                await handle.dispose()
                throw error
            }
        }
    }
}

/// Records for the auth contract tests.
enum AuthFixtures {
    static let now: Int64 = 1_709_284_500_000
    static let day: Int64 = 24 * 3600 * 1000

    static func user(_ number: Int, email: String? = nil, name: String? = "User") -> User {
        User(
            id: String(format: "65e1a0b2c3d4e5f6a7b8%04x", number), email: email ?? "user\(number)@example.com", name: name,
            passwordHash: "$2b$04$abcdefghijklmnopqrstuu5z8VQw0h1F4P6v3oJ7u8aRkLQyWw4Zm", createdAt: now, updatedAt: now
        )
    }

    /// A distinct 32-byte token hash per (seed).
    static func hash(_ seed: Int) -> [UInt8] {
        (0..<32).map { UInt8(truncatingIfNeeded: seed &* 31 &+ $0 &* 7) }
    }

    static func session(_ id: String, user: User, family: String, hashSeed: Int, createdAt: Int64 = now, expiresAt: Int64 = now + 30 * day) -> Session {
        Session(id: id, userID: user.id, familyID: family, tokenHash: hash(hashSeed), createdAt: createdAt, expiresAt: expiresAt)
    }
}
