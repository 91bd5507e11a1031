import CSQLite
import Domain
@testable import SQLiteStore
import Testing

/// Schema version 2 (users, sessions): durable writes, the upgrade from
/// version 1, and index use of every auth query.
@Suite("SQLite auth schema")
struct AuthSchemaTests {
    @Test func durableWritesRunWithSynchronousFullAndRestoreNormal() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let connection = try SQLiteConnection.open(path: directory.file("sync.sqlite"), flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        defer { connection.close() }
        try connection.exec("PRAGMA journal_mode = WAL")
        try connection.exec("PRAGMA synchronous = NORMAL")
        try connection.exec("CREATE TABLE t (x INTEGER)")
        // 1 = NORMAL, 2 = FULL.
        let inside = try connection.durableWriteTransaction { () throws -> Int64? in
            try connection.exec("INSERT INTO t VALUES (1)")
            return try connection.scalarInt("PRAGMA synchronous")
        }
        #expect(inside == 2)
        #expect(try connection.scalarInt("PRAGMA synchronous") == 1)

        struct Planned: Error {}
        #expect(throws: Planned.self) {
            try connection.durableWriteTransaction { () throws -> Void in
                try connection.exec("INSERT INTO t VALUES (2)")
                throw Planned()
            }
        }
        #expect(try connection.scalarInt("PRAGMA synchronous") == 1, "restored after a failed transaction too")
        #expect(try connection.scalarInt("SELECT count(*) FROM t") == 1, "the failed transaction was rolled back")
    }

    @Test func aVersionOneDatabaseGainsTheAuthTablesAndKeepsItsData() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let path = directory.file("v1.sqlite")
        do {
            let connection = try SQLiteConnection.open(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            try connection.exec(Migrations.all[0].sql)
            try connection.exec("PRAGMA user_version = 1")
            connection.close()
        }
        let store = try await openStore(path)
        _ = try await store.ticks.insert([try tick("NIFTY", at: marketOpen, tickID: "a")])
        try await store.users.create(User(id: "650000000000000000000001", email: "a@b.c", name: nil, passwordHash: "$2b$04$x", createdAt: 1, updatedAt: 1))
        #expect(try await store.users.find(email: "a@b.c")?.id == "650000000000000000000001")
        await store.close()
        let connection = try rawConnection(path)
        defer { connection.close() }
        #expect(try Migrations.userVersion(of: connection) == Migrations.currentVersion)
    }

    @Test(arguments: [
        ("users by email", SQLiteUserRepository.byEmailSQL, "users_email"),
        ("sessions by token hash", SQLiteSessionRepository.byHashSQL, "sessions_token_hash"),
        ("sessions: revoke a family", SQLiteSessionRepository.revokeFamilySQL, "sessions_family"),
        ("sessions: live families of a user", SQLiteSessionRepository.liveFamiliesOfUserSQL, "sessions_user"),
        ("sessions: revoke a user's", SQLiteSessionRepository.revokeUserSQL, "sessions_user"),
        ("sessions: revoked since", SQLiteSessionRepository.revokedSinceSQL, "sessions_revoked_at"),
        ("sessions: delete expired", SQLiteSessionRepository.deleteExpiredSQL, "sessions_expires_at"),
    ])
    func everyAuthQueryUsesItsIndex(_ name: String, _ sql: String, _ index: String) async throws {
        try await withStore { store, directory in
            let connection = try rawConnection(store.path)
            defer { connection.close() }
            let plan = try QueryPlanTests.plan(sql, on: connection)
            #expect(plan.contains { $0.contains(index) }, "\(name): \(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN") }, "\(name): \(plan)")
        }
    }
}
